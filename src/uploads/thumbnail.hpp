// The preview of an uploaded picture: decoded by libvips and encoded again, small, upright and with no
// metadata. Re-encoding is the point as much as the size: the bytes we serve inline are ones libvips wrote,
// so a polyglot (a PNG with HTML after its end) or a photo's GPS position in EXIF never reaches a viewer.
// Pure, blocking and CPU-heavy: the uploads feature calls it on a worker thread, never on an I/O thread.
// vips.h stays in thumbnail.cpp (it pulls in glib).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace eelchat::uploads {

struct thumbnail_limits {
    int max_width = 800;
    int max_height = 600;
    // Refused above this many pixels in the header's width x height (of the first page), before any pixel
    // is decoded: a few hundred bytes of PNG can declare 30000 x 30000.
    std::int64_t max_pixels = 40'000'000;
};

struct thumbnail {
    std::string bytes;                       // the encoded thumbnail
    std::string mime;                        // "image/jpeg" (opaque) or "image/png" (has transparency)
    int width = 0, height = 0;               // the thumbnail's
    int source_width = 0, source_height = 0; // the original's, after EXIF orientation
};

enum class thumbnail_problem {
    unreadable, // not a JPEG, PNG, GIF or WebP libvips can decode (garbage, truncated, another format)
    too_large,  // the header declares more than max_pixels
    failed,     // decoded, but resizing or encoding failed (or libvips could not start): our problem
};

struct thumbnail_refusal {
    thumbnail_problem problem = thumbnail_problem::unreadable;
    // For the log, never for the uploader: libvips's error text or the check that refused. libvips keeps
    // one error buffer per process, so under concurrent calls it may carry another call's words too.
    std::string detail;
};

// What make_thumbnail gives: the thumbnail, or why there is none. A variant rather than an optional plus
// an error string, so a caller cannot read a thumbnail that is not there:
//   if (auto* t = std::get_if<thumbnail>(&r)) ... else problem_text(std::get<thumbnail_refusal>(r).problem)
using thumbnail_result = std::variant<thumbnail, thumbnail_refusal>;

// Decodes `image` (a whole file in memory whose sniffed type is_raster_image) and makes a thumbnail that
// fits in limits.max_width x limits.max_height, never enlarged, keeping the aspect ratio, with the EXIF
// orientation applied and every piece of metadata stripped (EXIF, XMP, IPTC, comments; an embedded ICC
// profile is used to convert to sRGB, then dropped). Animated images give their first frame. Only the
// JPEG, PNG, GIF and WebP decoders of libvips are used, whatever else it could read. Calls
// init_image_library() itself. Thread-safe.
thumbnail_result make_thumbnail(std::string_view image, const thumbnail_limits& limits = {});

// What to tell the uploader: "not a readable image", "image too large to preview", "could not make a
// preview".
std::string_view problem_text(thumbnail_problem p);

// Starts libvips once per process (std::call_once): VIPS_INIT, one libvips thread per call (our worker
// pool gives the parallelism), no operation cache (we never repeat an operation, and the cache would hold
// decoded images), and libvips's "untrusted" loaders blocked. Cheap after the first call; false when
// libvips could not start (then make_thumbnail refuses with thumbnail_problem::failed).
bool init_image_library();

// Frees libvips's per-thread buffers; a worker thread that called make_thumbnail calls this before it
// exits (libvips 8.14 otherwise warns and leaks them). Threads libvips made itself need nothing.
void release_image_thread();

} // namespace eelchat::uploads
