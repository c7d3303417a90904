// Text helpers for posting feed entries: HTML to plain text, cleaning text from the internet into valid
// UTF-8 without control characters, cutting on code point boundaries, and the original app's date format.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace eelchat::feeds {

// The text a reader sees in an HTML fragment: tags removed (with the content of script, style and
// template elements, and comments), <br> and block elements (p, div, li, h1-h6, tr, blockquote, pre, ...)
// as line breaks, character references decoded (the common named ones and any numeric one), whitespace
// collapsed to single spaces or single line breaks, trimmed; the result is valid UTF-8 without control
// characters (see clean_text). A '<' that does not start a tag stays as text.
std::string html_to_text(std::string_view html);

// Valid UTF-8 (each invalid byte becomes U+FFFD) without control characters: C0 (except '\n'; '\t' and
// '\r' become spaces), DEL, C1, and the bidirectional embedding, override and isolate controls, which
// would reorder the text shown after them. Soft hyphens are dropped.
std::string clean_text(std::string_view s);

// The first `max` code points of valid UTF-8 followed by "..." when it had more, else the text as is.
std::string truncate_text(std::string_view utf8, std::size_t max);

// Escapes '&', '<' and '>' so html_to_text gives the text back.
std::string escape_html(std::string_view text);

// "Sat May 25 15:49:51 UTC 2024", as java.util.Date's toString() printed it in UTC.
std::string format_date(std::chrono::system_clock::time_point t);

} // namespace eelchat::feeds
