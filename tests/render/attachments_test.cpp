// A message's files in its page (render/attachments.hpp): our thumbnail for images we decoded, a
// download link for everything else, names always escaped.
#include "render/attachments.hpp"
#include "render/templates.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;

namespace {

db::attachment_summary file(std::string name, std::string type, bool image) {
    db::attachment_summary f;
    f.id = "0b6ac2a4-5a8e-4d57-9d1e-3f1f1c0b7a11";
    f.name = std::move(name);
    f.content_type = std::move(type);
    f.size = 1258291;
    f.inline_image = image;
    f.has_thumbnail = image;
    f.width = 320;
    f.height = 240;
    return f;
}

} // namespace

TEST_CASE("an image shows as its thumbnail inside a link to the file, other files as a download",
          "[unit][uploads]") {
    render::templates tpl;
    db::message_row m;
    m.attachments = {file("cat.png", "image/png", true), file("report.pdf", "application/pdf", false)};
    auto html = render::render_attachments(tpl, m, "/community/c/channel/h");
    CHECK(html.find("<a class=\"attachment attachment-image\" href=\"/community/c/channel/h/files/"
                    "0b6ac2a4-5a8e-4d57-9d1e-3f1f1c0b7a11/cat.png\"") != std::string::npos);
    CHECK(html.find("<img src=\"/community/c/channel/h/thumbnails/0b6ac2a4-5a8e-4d57-9d1e-3f1f1c0b7a11\" "
                    "alt=\"cat.png\" width=\"320\" height=\"240\"") != std::string::npos);
    CHECK(html.find("download=\"report.pdf\"") != std::string::npos);
    CHECK(html.find("PDF document, 1.2 MB") != std::string::npos);
    CHECK(render::render_attachments(tpl, db::message_row{}, "/x").empty());
}

TEST_CASE("a hostile file name is escaped in the page and percent-encoded in its link", "[unit][uploads]") {
    render::templates tpl;
    db::message_row m;
    m.attachments = {file("\"><script>alert(1)</script>.html", "text/html", false),
                     file("x.svg", "image/svg+xml", false)};
    auto html = render::render_attachments(tpl, m, "/c");
    CHECK(html.find("<script>") == std::string::npos);
    CHECK(html.find("&lt;script&gt;") != std::string::npos);
    CHECK(html.find("/files/0b6ac2a4-5a8e-4d57-9d1e-3f1f1c0b7a11/"
                    "%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E.html") != std::string::npos);
    // An SVG we did not decode is never an <img>: it is a file to download.
    CHECK(html.find("<img") == std::string::npos);
    CHECK(html.find("SVG image") != std::string::npos);
}
