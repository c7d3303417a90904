// Search snippets as HTML (render/search_results.hpp): everything escaped, only our marks added.
#include "render/search_results.hpp"

#include <catch2/catch.hpp>

using eelchat::render::snippet_html;

TEST_CASE("search snippets: matches in <mark>, everything else escaped", "[unit][search]") {
    CHECK(snippet_html("an \x01"
                       "eel\x02 swims") == "an <mark>eel</mark> swims");
    CHECK(snippet_html("<script>\x01"
                       "x\x02</script> & \"q\"") ==
          "&lt;script&gt;<mark>x</mark>&lt;/script&gt; &amp; &quot;q&quot;");
    CHECK(snippet_html("\x01open") == "<mark>open</mark>");
    CHECK(snippet_html("stray\x02 close") == "stray close");
    CHECK(snippet_html("") == "");
}
