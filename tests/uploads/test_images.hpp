// Pictures for the uploads tests, made with libvips itself so no binary fixture has to be checked in.
// Test-only: this is the one header that includes vips.h, and only tests include it.
#pragma once

#include "uploads/thumbnail.hpp"

#include <vips/vips.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace eelchat::uploads::test {

enum class image_format { png, jpeg, gif, webp };

// Owns one VipsImage reference for a test.
struct owned_image {
    VipsImage* p = nullptr;
    owned_image() = default;
    explicit owned_image(VipsImage* image) : p(image) {}
    ~owned_image() {
        if (p != nullptr) g_object_unref(p);
    }
    owned_image(const owned_image&) = delete;
    owned_image& operator=(const owned_image&) = delete;
};

// Noise rather than a flat colour: encoders squeeze flat images to nothing, and a photo-like picture is
// what people upload. `bands` 3 for RGB, 4 for RGBA (the alpha `alpha` everywhere).
inline VipsImage* noise_image(int width, int height, int bands = 3, int alpha = 255) {
    VipsImage* noise = nullptr;
    REQUIRE(vips_gaussnoise(&noise, width, height, "mean", 128.0, "sigma", 40.0, nullptr) == 0);
    owned_image n(noise);
    VipsImage* grey = nullptr;
    REQUIRE(vips_cast(n.p, &grey, VIPS_FORMAT_UCHAR, nullptr) == 0);
    owned_image g(grey);
    VipsImage* rgb = nullptr;
    VipsImage* channels[3] = {g.p, g.p, g.p};
    REQUIRE(vips_bandjoin(channels, &rgb, 3, nullptr) == 0);
    owned_image colour(rgb);
    VipsImage* tagged = nullptr;
    REQUIRE(vips_copy(colour.p, &tagged, "interpretation", VIPS_INTERPRETATION_sRGB, nullptr) == 0);
    if (bands == 3) return tagged;
    owned_image t(tagged);
    VipsImage* with_alpha = nullptr;
    REQUIRE(vips_bandjoin_const1(t.p, &with_alpha, alpha, nullptr) == 0);
    return with_alpha;
}

inline std::string encode(VipsImage* image, image_format format) {
    void* data = nullptr;
    std::size_t size = 0;
    int rc = -1;
    switch (format) {
    case image_format::png:
        rc = vips_pngsave_buffer(image, &data, &size, nullptr);
        break;
    case image_format::jpeg:
        rc = vips_jpegsave_buffer(image, &data, &size, nullptr);
        break;
    case image_format::gif:
        rc = vips_gifsave_buffer(image, &data, &size, nullptr);
        break;
    case image_format::webp:
        rc = vips_webpsave_buffer(image, &data, &size, nullptr);
        break;
    }
    INFO(vips_error_buffer());
    REQUIRE(rc == 0);
    std::string out(static_cast<const char*>(data), size);
    g_free(data);
    return out;
}

// A width x height noise picture in `format`.
inline std::string picture(image_format format, int width, int height) {
    REQUIRE(init_image_library());
    owned_image image(noise_image(width, height));
    return encode(image.p, format);
}

// A JPEG whose EXIF says how to turn it upright (libvips writes EXIF from the "orientation" field).
inline std::string jpeg_with_orientation(int width, int height, int orientation) {
    REQUIRE(init_image_library());
    owned_image image(noise_image(width, height));
    VipsImage* copy = nullptr;
    REQUIRE(vips_copy(image.p, &copy, nullptr) == 0);
    owned_image tagged(copy);
    vips_image_set_int(tagged.p, VIPS_META_ORIENTATION, orientation);
    return encode(tagged.p, image_format::jpeg);
}

// Loads encoded bytes back, for looking at what make_thumbnail wrote.
inline VipsImage* decode(std::string_view bytes) {
    VipsImage* image = vips_image_new_from_buffer(bytes.data(), bytes.size(), "", nullptr);
    INFO(vips_error_buffer());
    REQUIRE(image != nullptr);
    return image;
}

} // namespace eelchat::uploads::test
