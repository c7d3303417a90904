// What an uploaded file really is, read from its bytes and never from the name or the Content-Type the
// browser sent: both are chosen by the uploader, and a page served as text/html from our origin would run
// its scripts there. The sniffed type decides whether a preview is made (is_raster_image) and what the file
// card says (describe_content_type). Pure and blocking: libmagic reads a buffer, no file and no socket.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace eelchat::uploads {

// How much of a file sniff_content_type looks at; callers pass at most this many leading bytes.
inline constexpr std::size_t sniff_bytes = 64 * 1024;

// The MIME type libmagic finds in `head`, the first bytes of a file (up to sniff_bytes; more is ignored),
// e.g. "image/png", "text/html", "application/pdf". "application/octet-stream" for empty input or when
// libmagic cannot tell or fails. Thread-safe: each thread has its own libmagic handle, loaded on first use
// (a few milliseconds), so call it from the worker pool, never from an I/O thread.
std::string sniff_content_type(std::string_view head);

// True only for the types we decode into a thumbnail: image/jpeg, image/png, image/gif, image/webp.
// Never for image/svg+xml (it is a document that can hold scripts) nor any other type. Parameters after ';'
// and letter case are ignored.
bool is_raster_image(std::string_view mime);

// A short label for a file card: "PNG image", "PDF document", "ZIP archive", "Text file"... For a type not
// in the table: "Image", "Audio file", "Video" or "Text file" by its top-level type, otherwise "File".
std::string describe_content_type(std::string_view mime);

} // namespace eelchat::uploads
