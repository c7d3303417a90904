// File names as people send them, made safe to keep, show, link and put in a header. A name is only ever
// a label: storage addresses files by random ids, so no name can reach a path.
#pragma once

#include <string>
#include <string_view>

namespace eelchat::uploads {

// The name to keep for a file a client called `sent`: its last path component (after any '/' or '\'),
// with control characters, bidirectional controls and invalid UTF-8 removed, spaces trimmed, cut to
// at most 255 bytes on a character boundary; "." and ".." and nothing at all become "file".
std::string clean_file_name(std::string_view sent);

// A Content-Disposition value (RFC 6266): "attachment" or "inline", with an ASCII fallback filename
// (quotes, backslashes and non-ASCII replaced by '_') and the exact name as filename* in UTF-8.
std::string content_disposition(bool inline_display, std::string_view name);

} // namespace eelchat::uploads
