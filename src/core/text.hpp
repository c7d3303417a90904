// Checks on text people type: UTF-8 validity, email addresses, chat messages and display names.
// Everything user-supplied that is stored or shown passes through one of these first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eelchat::text {

// Strict UTF-8: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated
// sequences. U+0000 is valid UTF-8; callers that store text reject it separately.
bool valid_utf8(std::string_view s);

// Decodes the code point starting at s[pos] (s[pos] must exist) and advances pos past it; nullopt, with
// pos unchanged, for a byte sequence strict UTF-8 does not allow (see valid_utf8).
std::optional<char32_t> decode_next(std::string_view s, std::size_t& pos);

// 'A'..'Z' in lower case, every other byte as it is.
char to_lower_ascii(char c);

// The number of code points in valid UTF-8 (for invalid input: the number of non-continuation bytes).
std::size_t utf8_length(std::string_view s);

// The address in the form we store and compare: ASCII whitespace trimmed, ASCII lowercased. Nullopt
// unless it is a plain local@domain of 3..254 bytes:
// - local part: 1..64 bytes of dot-atom (letters, digits, !#$%&'*+-/=?^_`{|}~ and single inner dots) or
//   UTF-8 beyond ASCII; quoted local parts and comments are refused, so '<', '>', '"', ',', ';', '\\',
//   '(', ')', ':' and spaces never reach a mail header;
// - domain: at least two dot-separated labels of 1..63 bytes of [a-z0-9-] (UTF-8 beyond ASCII allowed
//   for internationalised names), not starting or ending with '-';
// - no control characters or whitespace anywhere, Unicode ones included.
std::optional<std::string> normalize_email(std::string_view s);

enum class message_problem { none, empty, too_long, invalid_utf8, direction_controls };

// Whether `text` can be posted as a chat message, checked in this order: invalid_utf8 (also for U+0000,
// which PostgreSQL text cannot hold), direction_controls (the bidirectional embeddings, overrides and
// isolates U+202A..U+202E and U+2066..U+2069, which reorder how the text after them reads: "txt.exe"
// shown as "exe.txt"; the marks U+200E and U+200F that right-to-left writers use stay allowed), empty
// (nothing but whitespace or invisible blanks such as U+00A0, U+2000..U+200B, U+3000, U+FEFF), too_long (more
// than `max_chars` code points).
message_problem check_message_text(std::string_view text, std::size_t max_chars = 4000);

// CRLF and lone CR become LF, so stored messages have one kind of line break.
std::string normalize_newlines(std::string_view s);

// A display name as stored: whitespace (ASCII and Unicode blanks) trimmed from both ends, valid UTF-8,
// 1..50 code points, with no control characters (C0 including tab and newlines, DEL, C1), no line or
// paragraph separators and no bidirectional embedding, override or isolate controls (which would reorder
// the text shown after the name). Nullopt otherwise.
std::optional<std::string> clean_display_name(std::string_view s);
// The same rules for any one-line name: 1..max_chars code points (community and channel names, topics).
std::optional<std::string> clean_line(std::string_view s, std::size_t max_chars);

// Encodes a value for an application/x-www-form-urlencoded body or query (RFC 3986 unreserved characters
// as they are, space as '+', every other byte as %XX).
std::string form_encode(std::string_view s);
// The same for one path segment of a URL or a header's RFC 5987 value: space as %20.
std::string percent_encode(std::string_view s);

// A size for people: "12 bytes", "340 KB", "1.2 MB", "3.4 GB" (powers of 1024, one decimal under 10).
std::string human_size(std::int64_t bytes);

// Whether a (clean) display name reads as one of the names eelchat shows for others than members:
// "System", "eelchat", "Admin", "Administrator", "Moderator", "Former member", or "User" followed by
// hex digits (a member without a name). Compared without case, spaces and punctuation, and with the
// look-alike digits 0, 1, 3, 5 and $ read as o, l, e, s and s.
bool is_reserved_display_name(std::string_view name);

// ASCII letters in upper case, every other byte as it is (protocol keywords, case-insensitive matching).
std::string ascii_upper(std::string_view s);

} // namespace eelchat::text
