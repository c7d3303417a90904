// Naming an upload's type from its bytes (uploads/sniff.hpp).
#include "uploads/sniff.hpp"

#include "uploads/test_images.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

using namespace eelchat;
using uploads::describe_content_type;
using uploads::is_raster_image;
using uploads::sniff_content_type;
using uploads::test::image_format;
using uploads::test::picture;

TEST_CASE("sniff: PNG, JPEG, GIF and WebP are named from their bytes alone", "[unit][uploads]") {
    CHECK(sniff_content_type(picture(image_format::png, 40, 30)) == "image/png");
    CHECK(sniff_content_type(picture(image_format::jpeg, 40, 30)) == "image/jpeg");
    CHECK(sniff_content_type(picture(image_format::gif, 40, 30)) == "image/gif");
    CHECK(sniff_content_type(picture(image_format::webp, 40, 30)) == "image/webp");
    // Only the head is needed: the first 64 KiB of a larger file name it the same.
    const std::string big = picture(image_format::png, 320, 320);
    REQUIRE(big.size() > uploads::sniff_bytes);
    CHECK(sniff_content_type(std::string_view(big).substr(0, uploads::sniff_bytes)) == "image/png");
    CHECK(sniff_content_type(big) == "image/png");
}

TEST_CASE("sniff: documents that a browser would run or render are named as such", "[unit][uploads]") {
    CHECK(sniff_content_type("<!DOCTYPE html>\n<html><head><title>x</title></head>"
                             "<body><script>alert(1)</script></body></html>\n") == "text/html");
    CHECK(sniff_content_type("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\">"
                             "<script>alert(document.cookie)</script></svg>\n") == "image/svg+xml");
    CHECK(sniff_content_type("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n") ==
          "application/pdf");
    CHECK(sniff_content_type("Meeting notes: the eels moved to the lower pond.\n") == "text/plain");
}

TEST_CASE("sniff: empty input and unknown bytes are application/octet-stream", "[unit][uploads]") {
    CHECK(sniff_content_type("") == "application/octet-stream");
    const std::string binary("\x00\x01\x02\x03\xfe\xff\x10\x80\x00\x7f\x00\x00\x13\x37", 14);
    CHECK(sniff_content_type(binary) == "application/octet-stream");
}

TEST_CASE("sniff: a polyglot is named by its leading magic, not by the HTML inside", "[unit][uploads]") {
    // A GIF header in front of a page: a browser told text/html would run it, we call it a GIF.
    CHECK(sniff_content_type("GIF89a<html><body><script>alert(1)</script></body></html>") == "image/gif");
    // A complete PNG with a page after its IEND chunk.
    const std::string polyglot = picture(image_format::png, 32, 32) + "<html><script>alert(1)</script>";
    CHECK(sniff_content_type(polyglot) == "image/png");
}

TEST_CASE("sniff: every thread gets the same answers from its own libmagic handle", "[unit][uploads]") {
    const std::string png = picture(image_format::png, 16, 16);
    const std::string html = "<!DOCTYPE html><html><body>x</body></html>";
    std::vector<int> wrong(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                if (sniff_content_type(png) != "image/png") ++wrong[t];
                if (sniff_content_type(html) != "text/html") ++wrong[t];
            }
        });
    for (auto& th : threads)
        th.join();
    CHECK(wrong == std::vector<int>(4, 0));
}

TEST_CASE("sniff: only JPEG, PNG, GIF and WebP are raster images we decode", "[unit][uploads]") {
    for (const char* yes :
         {"image/jpeg", "image/png", "image/gif", "image/webp", "IMAGE/PNG", "image/png; charset=binary"}) {
        INFO(yes);
        CHECK(is_raster_image(yes));
    }
    for (const char* no : {"image/svg+xml", "text/html", "image/bmp", "image/tiff", "application/pdf",
                           "application/octet-stream", "", "image/", "image/pngx", "ximage/png"}) {
        INFO(no);
        CHECK_FALSE(is_raster_image(no));
    }
}

TEST_CASE("sniff: file cards get a short label for the type", "[unit][uploads]") {
    CHECK(describe_content_type("image/png") == "PNG image");
    CHECK(describe_content_type("image/jpeg") == "JPEG image");
    CHECK(describe_content_type("application/pdf") == "PDF document");
    CHECK(describe_content_type("application/zip") == "ZIP archive");
    CHECK(describe_content_type("text/plain") == "Text file");
    CHECK(describe_content_type("text/html") == "HTML file");
    CHECK(describe_content_type("image/svg+xml") == "SVG image");
    CHECK(describe_content_type("Application/PDF; x=y") == "PDF document");
    // Not in the table: the family, then "File".
    CHECK(describe_content_type("image/x-portable-pixmap") == "Image");
    CHECK(describe_content_type("audio/x-aiff") == "Audio file");
    CHECK(describe_content_type("text/x-php") == "Text file");
    CHECK(describe_content_type("application/x-something") == "File");
    CHECK(describe_content_type("") == "File");
    CHECK(describe_content_type("nonsense") == "File");
}
