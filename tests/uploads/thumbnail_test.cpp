// Previews of uploaded pictures (uploads/thumbnail.hpp).
#include "uploads/thumbnail.hpp"

#include "uploads/sniff.hpp"
#include "uploads/test_images.hpp"

#include <catch2/catch.hpp>
#include <zlib.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <variant>
#include <vector>

using namespace eelchat;
using uploads::make_thumbnail;
using uploads::thumbnail;
using uploads::thumbnail_limits;
using uploads::thumbnail_problem;
using uploads::thumbnail_refusal;
using uploads::test::decode;
using uploads::test::image_format;
using uploads::test::owned_image;
using uploads::test::picture;

namespace {

// The thumbnail in `r` (a copy, so it may be called on a temporary result), failing the test on a refusal.
thumbnail made(const uploads::thumbnail_result& r) {
    if (const auto* refusal = std::get_if<thumbnail_refusal>(&r)) FAIL("refused: " << refusal->detail);
    return std::get<thumbnail>(r);
}

thumbnail_problem refused(const uploads::thumbnail_result& r) {
    REQUIRE(std::holds_alternative<thumbnail_refusal>(r));
    return std::get<thumbnail_refusal>(r).problem;
}

void put_u32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
        out += static_cast<char>((v >> shift) & 0xff);
}

void put_chunk(std::string& out, std::string_view type, std::string_view body) {
    put_u32(out, static_cast<std::uint32_t>(body.size()));
    const std::string typed = std::string(type) + std::string(body);
    out += typed;
    put_u32(out, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(typed.data()),
                                                  static_cast<uInt>(typed.size()))));
}

// A PNG of a few dozen bytes whose IHDR declares width x height RGB pixels, with one tiny IDAT: what a
// decompression bomb looks like before anything is inflated.
std::string declared_png(std::uint32_t width, std::uint32_t height) {
    std::string png("\x89PNG\r\n\x1a\n", 8);
    std::string ihdr;
    put_u32(ihdr, width);
    put_u32(ihdr, height);
    ihdr += std::string("\x08\x02\x00\x00\x00", 5); // 8 bits, RGB, deflate, no filter, no interlace
    put_chunk(png, "IHDR", ihdr);
    const std::string zeros(64, '\0');
    Bytef packed[128];
    uLongf packed_size = sizeof packed;
    REQUIRE(compress(packed, &packed_size, reinterpret_cast<const Bytef*>(zeros.data()), zeros.size()) ==
            Z_OK);
    put_chunk(png, "IDAT", std::string(reinterpret_cast<const char*>(packed), packed_size));
    put_chunk(png, "IEND", "");
    return png;
}

} // namespace

TEST_CASE("thumbnail: fits the box, keeps the aspect ratio, and is a JPEG for an opaque image",
          "[unit][uploads]") {
    for (auto format : {image_format::jpeg, image_format::png, image_format::webp, image_format::gif}) {
        INFO(static_cast<int>(format));
        const auto r = make_thumbnail(picture(format, 1000, 500));
        const thumbnail t = made(r);
        CHECK(t.width == 800);
        CHECK(t.height == 400);
        CHECK(t.source_width == 1000);
        CHECK(t.source_height == 500);
        CHECK(t.mime == "image/jpeg");
        CHECK(uploads::sniff_content_type(t.bytes) == "image/jpeg");
    }
    // A tall one is bounded by the height.
    const thumbnail tall = made(make_thumbnail(picture(image_format::png, 300, 1200)));
    CHECK(tall.height == 600);
    CHECK(tall.width == 150);
}

TEST_CASE("thumbnail: a small picture is never enlarged", "[unit][uploads]") {
    const thumbnail t = made(make_thumbnail(picture(image_format::png, 120, 80)));
    CHECK(t.width == 120);
    CHECK(t.height == 80);
    CHECK(t.source_width == 120);
    CHECK(t.source_height == 80);
}

TEST_CASE("thumbnail: EXIF orientation 6 turns the picture upright, and no metadata survives",
          "[unit][uploads]") {
    const std::string photo = uploads::test::jpeg_with_orientation(200, 100, 6);
    REQUIRE(photo.find("Exif") != std::string::npos); // the input does carry EXIF
    const thumbnail t = made(make_thumbnail(photo, thumbnail_limits{.max_width = 800, .max_height = 600}));
    CHECK(t.source_width == 100);
    CHECK(t.source_height == 200);
    CHECK(t.width == 100);
    CHECK(t.height == 200);
    CHECK(t.bytes.find("Exif") == std::string::npos);
    owned_image out(decode(t.bytes));
    CHECK(vips_image_get_width(out.p) == 100);
    CHECK(vips_image_get_height(out.p) == 200);
    CHECK(vips_image_get_typeof(out.p, "exif-data") == 0);
    CHECK(vips_image_get_typeof(out.p, VIPS_META_ORIENTATION) == 0);
    CHECK(vips_image_get_typeof(out.p, VIPS_META_XMP_NAME) == 0);
    CHECK(vips_image_get_typeof(out.p, VIPS_META_ICC_NAME) == 0);
}

TEST_CASE("thumbnail: transparency gives a PNG, an alpha band that is all opaque a JPEG", "[unit][uploads]") {
    REQUIRE(uploads::init_image_library());
    owned_image see_through(uploads::test::noise_image(400, 200, 4, 100));
    const thumbnail t = made(make_thumbnail(uploads::test::encode(see_through.p, image_format::png)));
    CHECK(t.mime == "image/png");
    CHECK(uploads::sniff_content_type(t.bytes) == "image/png");
    owned_image out(decode(t.bytes));
    CHECK(vips_image_hasalpha(out.p));

    owned_image opaque(uploads::test::noise_image(400, 200, 4, 255));
    const thumbnail o = made(make_thumbnail(uploads::test::encode(opaque.p, image_format::png)));
    CHECK(o.mime == "image/jpeg");
}

TEST_CASE("thumbnail: a polyglot PNG is re-encoded, so the HTML after it is gone", "[unit][uploads]") {
    const std::string polyglot =
        picture(image_format::png, 64, 48) + "<html><script>alert(document.cookie)</script></html>";
    REQUIRE(uploads::sniff_content_type(polyglot) == "image/png");
    const thumbnail t = made(make_thumbnail(polyglot));
    CHECK(t.width == 64);
    CHECK(t.bytes.find("<script") == std::string::npos);
    CHECK(t.bytes.find("<html") == std::string::npos);
    // HTML behind a bare GIF header is no picture at all.
    CHECK(refused(make_thumbnail("GIF89a<html><script>alert(1)</script></html>")) ==
          thumbnail_problem::unreadable);
}

TEST_CASE("thumbnail: an animated GIF gives its first frame", "[unit][uploads]") {
    REQUIRE(uploads::init_image_library());
    // Three 90x60 frames stacked; "page-height" makes gifsave write them as an animation.
    owned_image strip(uploads::test::noise_image(90, 180));
    VipsImage* copy = nullptr;
    REQUIRE(vips_copy(strip.p, &copy, nullptr) == 0);
    owned_image frames(copy);
    vips_image_set_int(frames.p, VIPS_META_PAGE_HEIGHT, 60);
    const std::string gif = uploads::test::encode(frames.p, image_format::gif);
    const thumbnail t = made(make_thumbnail(gif));
    CHECK(t.source_width == 90);
    CHECK(t.source_height == 60);
    CHECK(t.width == 90);
    CHECK(t.height == 60);
}

TEST_CASE("thumbnail: a header declaring too many pixels is refused before decoding", "[unit][uploads]") {
    // 30000 x 30000 (900 megapixels, 2.7 GB decoded) in under a hundred bytes.
    const std::string bomb = declared_png(30000, 30000);
    REQUIRE(bomb.size() < 100);
    REQUIRE(uploads::sniff_content_type(bomb) == "image/png");
    const auto started = std::chrono::steady_clock::now();
    const auto r = make_thumbnail(bomb);
    CHECK(refused(r) == thumbnail_problem::too_large);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
    CHECK(uploads::problem_text(thumbnail_problem::too_large) == "image too large to preview");

    // The limit is the caller's: a real 100 x 100 picture over a limit of 1000 pixels.
    thumbnail_limits small;
    small.max_pixels = 1000;
    CHECK(refused(make_thumbnail(picture(image_format::png, 100, 100), small)) ==
          thumbnail_problem::too_large);
    small.max_pixels = 10'000;
    CHECK(made(make_thumbnail(picture(image_format::png, 100, 100), small)).width == 100);
}

TEST_CASE("thumbnail: garbage, truncated pictures, SVG and empty input are refused", "[unit][uploads]") {
    CHECK(refused(make_thumbnail("")) == thumbnail_problem::unreadable);
    CHECK(refused(make_thumbnail("this is not a picture at all, just words")) ==
          thumbnail_problem::unreadable);
    const std::string noise("\x13\x37\x00\xff\x42\x99\x00\x01\x02\x03\x04\x05", 12);
    CHECK(refused(make_thumbnail(noise)) == thumbnail_problem::unreadable);
    // The first 40 bytes of a PNG: a signature and half a header.
    CHECK(refused(make_thumbnail(picture(image_format::png, 50, 50).substr(0, 40))) ==
          thumbnail_problem::unreadable);
    // libvips could render SVG, but that decoder is not one we allow.
    const std::string svg = "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"20\" "
                            "height=\"20\"><rect width=\"20\" height=\"20\" fill=\"red\"/></svg>";
    CHECK(refused(make_thumbnail(svg)) == thumbnail_problem::unreadable);
    CHECK(uploads::problem_text(thumbnail_problem::unreadable) == "not a readable image");
}

TEST_CASE("thumbnail: worker threads make thumbnails at the same time", "[unit][uploads]") {
    const std::string jpeg = picture(image_format::jpeg, 1000, 700);
    std::vector<int> widths(3, 0);
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i)
        threads.emplace_back([&, i] {
            for (int n = 0; n < 3; ++n) {
                const auto r = make_thumbnail(jpeg);
                if (const auto* t = std::get_if<thumbnail>(&r)) widths[i] += t->width;
            }
            uploads::release_image_thread();
        });
    for (auto& t : threads)
        t.join();
    CHECK(widths == std::vector<int>(3, 3 * 800));
}
