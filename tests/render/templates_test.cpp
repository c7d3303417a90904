#include "render/assets.hpp"
#include "render/templates.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace eelchat;

TEST_CASE("the embedded templates all compile", "[unit][render]") {
    render::templates t;
    CHECK(t.contains("layout"));
    CHECK(t.contains("landing"));
    CHECK(t.contains("simple_page"));
}

TEST_CASE("variables are HTML-escaped, triple braces are not", "[unit][render]") {
    embedded::file files[] = {{"t.mustache", "<p title=\"{{v}}\">{{v}}</p>{{{raw}}}"}};
    render::templates t(files);
    render::data d;
    d.set("v", "<script>alert('x')</script>&\"`");
    d.set("raw", "<b>ok</b>");
    CHECK(t.render("t", d) == "<p title=\"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;&#96;\">"
                              "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;&#96;</p><b>ok</b>");
}

TEST_CASE("a template that does not parse is reported by name at start", "[unit][render]") {
    embedded::file files[] = {{"broken.mustache", "{{#open}} never closed"}};
    CHECK_THROWS_WITH(render::templates(files), Catch::Contains("broken.mustache"));
}

TEST_CASE("assets get content hashes, types and versioned URLs", "[unit][render]") {
    namespace fs = std::filesystem;
    auto dir = fs::temp_directory_path() / ("eelchat-assets-" + std::to_string(::getpid()));
    fs::create_directories(dir / "css");
    std::ofstream(dir / "css" / "a.css") << "body{}";
    std::ofstream(dir / ".hidden") << "secret";
    auto store = render::asset_store::load(dir);
    fs::remove_all(dir);

    const auto* a = store->find("/css/a.css");
    REQUIRE(a);
    CHECK(a->content == "body{}");
    CHECK(a->content_type == "text/css; charset=utf-8");
    CHECK(a->hash == render::fnv1a64_hex("body{}"));
    CHECK(a->etag == "\"" + a->hash + "\"");
    CHECK(store->url("/css/a.css") == "/css/a.css?v=" + a->hash);
    CHECK(store->find("/.hidden") == nullptr);
    CHECK_THROWS(store->url("/missing.js"));
    CHECK_THROWS(render::asset_store::load(dir / "nope"));
}
