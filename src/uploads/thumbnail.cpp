// libvips's C API behind make_thumbnail. The C++ binding (vips8) needs libvips-cpp and compiles slowly;
// the handful of calls here read fine in C with two small owners for what libvips hands back.
//
// Memory: libvips decodes lazily and, with sequential access, a strip of lines at a time, and
// vips_thumbnail shrinks on load where the format allows it (JPEG by DCT scaling, WebP by its own scaler),
// so the peak stays below width x height x bands. Measured on this machine (libvips 8.14, one
// thread, no cache, a 6000x6000 RGB noise picture, 108 MB if decoded, to a 600x600 JPEG): maximum
// resident size of the whole process 109 MB for PNG (46 MB of it the file itself), 55 MB for JPEG (14 MB
// file), 53 MB for WebP (13 MB file); 4.0 s, 1.5 s and 4.1 s on a busy 2-core machine. PNG and GIF cannot
// shrink on load, so their cost grows with the pixel count: max_pixels is what bounds it.
#include "uploads/thumbnail.hpp"

#include <vips/vips.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <utility>

namespace eelchat::uploads {

namespace {

// Owns one VipsImage reference.
class image_ref {
public:
    image_ref() = default;
    ~image_ref() {
        if (image_ != nullptr) g_object_unref(image_);
    }
    image_ref(const image_ref&) = delete;
    image_ref& operator=(const image_ref&) = delete;

    VipsImage** out() { return &image_; } // for the VipsImage** parameter of an operation
    VipsImage* get() const { return image_; }

private:
    VipsImage* image_ = nullptr;
};

// Owns a buffer a libvips saver allocated with g_malloc.
class saved_buffer {
public:
    saved_buffer() = default;
    ~saved_buffer() { g_free(data_); }
    saved_buffer(const saved_buffer&) = delete;
    saved_buffer& operator=(const saved_buffer&) = delete;

    void** data_out() { return &data_; }
    std::size_t* size_out() { return &size_; }
    std::string to_string() const { return std::string(static_cast<const char*>(data_), size_); }

private:
    void* data_ = nullptr;
    std::size_t size_ = 0;
};

// libvips's error text, and the buffer cleared for the next call. Trimmed to one short line: it goes into
// a structured log line.
std::string take_vips_error() {
    char* text = vips_error_buffer_copy();
    std::string out = text != nullptr ? text : "";
    g_free(text);
    for (char& c : out)
        if (c == '\n' || c == '\r') c = ' ';
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    if (out.size() > 300) out.resize(300);
    return out.empty() ? "libvips gave no reason" : out;
}

thumbnail_refusal refuse(thumbnail_problem problem, std::string detail) {
    return thumbnail_refusal{problem, std::move(detail)};
}

// The buffer loaders we let libvips use, by the class name vips_foreign_find_load_buffer gives. libvips
// can also read TIFF, HEIF, SVG, PDF, FITS, Matlab... through other libraries with their own bugs; we
// preview only what is_raster_image allows, and this keeps libvips's own sniffing from disagreeing with
// ours (a file libmagic calls image/png that libvips would hand to another decoder).
bool allowed_loader(const char* name) {
    constexpr std::array<const char*, 6> allowed{
        "VipsForeignLoadJpegBuffer",  "VipsForeignLoadPngBuffer", "VipsForeignLoadSpngBuffer",
        "VipsForeignLoadNsgifBuffer", "VipsForeignLoadGifBuffer", "VipsForeignLoadWebpBuffer",
    };
    if (name == nullptr) return false;
    for (const char* a : allowed)
        if (std::strcmp(a, name) == 0) return true;
    return false;
}

// Whether the last band of `image`, its alpha, is fully opaque everywhere. GIFs always decode with an
// alpha band, and many PNGs carry one they never use: those are smaller as JPEG. Cheap, the thumbnail is
// at most max_width x max_height.
bool alpha_is_opaque(VipsImage* image, bool& ok) {
    ok = false;
    image_ref alpha;
    if (vips_extract_band(image, alpha.out(), image->Bands - 1, nullptr) != 0) return false;
    double lowest = 0;
    if (vips_min(alpha.get(), &lowest, nullptr) != 0) return false;
    ok = true;
    const bool sixteen_bit =
        image->Type == VIPS_INTERPRETATION_RGB16 || image->Type == VIPS_INTERPRETATION_GREY16;
    return lowest >= (sixteen_bit ? 65535.0 : 255.0);
}

bool vips_started = false;
std::once_flag vips_once;

} // namespace

bool init_image_library() {
    std::call_once(vips_once, [] {
        // No run-time generated SIMD code (liborc): it needs memory both writable and executable, which
        // the systemd unit forbids (MemoryDenyWriteExecute), and a thumbnail does not need its speed.
        // libvips reads this when it starts.
        g_setenv("VIPS_NOVECTOR", "1", FALSE);
        if (VIPS_INIT("eelchat") != 0) {
            vips_error_clear();
            return;
        }
        vips_concurrency_set(1);
        vips_cache_set_max(0);
        vips_cache_set_max_mem(0);
        vips_block_untrusted_set(TRUE);
        // A hostile or broken upload makes libvips print glib warnings ("error in tile 0 x 0") straight to
        // stderr, outside our structured log; what went wrong reaches the caller as the refusal's detail.
        g_log_set_handler(
            "VIPS", G_LOG_LEVEL_WARNING, [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {},
            nullptr);
        vips_started = true;
    });
    return vips_started;
}

void release_image_thread() {
    if (vips_started) vips_thread_shutdown();
}

std::string_view problem_text(thumbnail_problem p) {
    switch (p) {
    case thumbnail_problem::unreadable:
        return "not a readable image";
    case thumbnail_problem::too_large:
        return "image too large to preview";
    case thumbnail_problem::failed:
        return "could not make a preview";
    }
    return "could not make a preview";
}

thumbnail_result make_thumbnail(std::string_view image, const thumbnail_limits& limits) {
    if (!init_image_library()) return refuse(thumbnail_problem::failed, "libvips did not start");
    if (image.empty()) return refuse(thumbnail_problem::unreadable, "empty input");
    if (limits.max_width < 1 || limits.max_height < 1)
        return refuse(thumbnail_problem::failed, "thumbnail box is empty");

    const char* loader = vips_foreign_find_load_buffer(image.data(), image.size());
    if (loader == nullptr) return refuse(thumbnail_problem::unreadable, take_vips_error());
    if (!allowed_loader(loader))
        return refuse(thumbnail_problem::unreadable, std::string("loader not allowed: ") + loader);

    // The header alone: a new image from a buffer reads no pixels until something asks for them, and
    // sequential access tells the loader nothing will seek back. Only the first page is opened (the
    // loaders' default n=1), so an animated GIF's height is one frame's.
    image_ref header;
    *header.out() =
        vips_image_new_from_buffer(image.data(), image.size(), "", "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
    if (header.get() == nullptr) return refuse(thumbnail_problem::unreadable, take_vips_error());
    const std::int64_t width = vips_image_get_width(header.get());
    const std::int64_t height = vips_image_get_page_height(header.get());
    if (width < 1 || height < 1) return refuse(thumbnail_problem::unreadable, "header has no pixels");
    if (width * height > limits.max_pixels)
        return refuse(thumbnail_problem::too_large,
                      "header declares " + std::to_string(width) + "x" + std::to_string(height));
    // Orientations 5..8 turn the picture a quarter: the upright original is height x width.
    const bool turned = vips_image_get_orientation_swap(header.get());

    // vips_thumbnail_buffer loads again, this time with shrink-on-load, applies the EXIF orientation
    // before fitting the box (libvips 8.14 always does unless no_rotate), and, with export_profile,
    // converts through an embedded ICC profile to sRGB (untagged images are taken as sRGB already).
    // The buffer is only read; the C API just lacks the const.
    image_ref thumb;
    void* data = const_cast<char*>(image.data());
    if (vips_thumbnail_buffer(data, image.size(), thumb.out(), limits.max_width, "height", limits.max_height,
                              "size", VIPS_SIZE_DOWN, "export_profile", "srgb", nullptr) != 0)
        return refuse(thumbnail_problem::unreadable, take_vips_error());

    // The thumbnail is still a lazy pipeline over a sequential read of the original, which can be walked
    // only once; the alpha check and the encoder each read it, so render it into memory first (a few MB at
    // most: max_width x max_height x 4 bands, 8 or 16 bits each).
    image_ref rendered;
    *rendered.out() = vips_image_copy_memory(thumb.get());
    if (rendered.get() == nullptr) return refuse(thumbnail_problem::unreadable, take_vips_error());
    VipsImage* out = rendered.get();
    image_ref without_alpha;
    bool transparent = false;
    if (vips_image_hasalpha(out)) {
        bool measured = false;
        const bool opaque = alpha_is_opaque(out, measured);
        if (!measured) return refuse(thumbnail_problem::failed, take_vips_error());
        transparent = !opaque;
        if (opaque) {
            if (vips_extract_band(out, without_alpha.out(), 0, "n", out->Bands - 1, nullptr) != 0)
                return refuse(thumbnail_problem::failed, take_vips_error());
            out = without_alpha.get();
        }
    }

    // "strip" drops EXIF, XMP, IPTC, ICC and comments: nothing of the original travels with the preview.
    saved_buffer saved;
    const int rc = transparent ? vips_pngsave_buffer(out, saved.data_out(), saved.size_out(), "strip", TRUE,
                                                     "compression", 6, nullptr)
                               : vips_jpegsave_buffer(out, saved.data_out(), saved.size_out(), "Q", 82,
                                                      "strip", TRUE, "optimize_coding", TRUE, nullptr);
    if (rc != 0) return refuse(thumbnail_problem::failed, take_vips_error());

    thumbnail t;
    t.bytes = saved.to_string();
    t.mime = transparent ? "image/png" : "image/jpeg";
    t.width = vips_image_get_width(out);
    t.height = vips_image_get_height(out);
    t.source_width = static_cast<int>(turned ? height : width);
    t.source_height = static_cast<int>(turned ? width : height);
    return t;
}

} // namespace eelchat::uploads
