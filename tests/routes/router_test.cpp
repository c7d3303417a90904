#include "routes/router.hpp"

#include <catch2/catch.hpp>

using namespace eelchat::routes;
namespace asio = boost::asio;

namespace {
handler dummy() {
    return [](request_context&) -> asio::awaitable<eelchat::net::http_response> {
        co_return eelchat::net::http_response{};
    };
}
} // namespace

TEST_CASE("routes match literal paths and capture parameters", "[unit][router]") {
    router r;
    r.add(http::verb::get, "/", dummy());
    r.add(http::verb::get, "/community/:id", dummy());
    r.add(http::verb::get, "/community/:id/channel/:cid", dummy());
    r.add(http::verb::post, "/community/:id/channel/:cid", dummy());

    CHECK(r.match(http::verb::get, "/").result == router::outcome::found);
    auto m = r.match(http::verb::get, "/community/abc/channel/def");
    REQUIRE(m.result == router::outcome::found);
    CHECK(m.params.get("id") == "abc");
    CHECK(m.params.get("cid") == "def");
    CHECK(m.params.get("nope").empty());
    CHECK(r.match(http::verb::head, "/community/x").result == router::outcome::found);
}

TEST_CASE("unknown paths are not found, and known paths with another method are 405 with Allow",
          "[unit][router]") {
    router r;
    r.add(http::verb::get, "/community/:id", dummy());
    r.add(http::verb::post, "/community/:id/join", dummy());

    CHECK(r.match(http::verb::get, "/nowhere").result == router::outcome::not_found);
    CHECK(r.match(http::verb::get, "/community").result == router::outcome::not_found);
    CHECK(r.match(http::verb::get, "/community/").result == router::outcome::not_found);
    CHECK(r.match(http::verb::get, "/community//join").result == router::outcome::not_found);
    CHECK(r.match(http::verb::get, "/community/x/").result == router::outcome::not_found);
    CHECK(r.match(http::verb::get, "").result == router::outcome::not_found);

    auto m = r.match(http::verb::delete_, "/community/x");
    CHECK(m.result == router::outcome::method_not_allowed);
    CHECK(m.allow == "GET, HEAD");
    auto j = r.match(http::verb::get, "/community/x/join");
    CHECK(j.result == router::outcome::method_not_allowed);
    CHECK(j.allow == "POST");
}

TEST_CASE("split_path keeps empty segments so they never match", "[unit][router]") {
    CHECK(split_path("/").empty());
    CHECK(split_path("/a/b") == std::vector<std::string_view>{"a", "b"});
    CHECK(split_path("/a/") == std::vector<std::string_view>{"a", ""});
    CHECK(split_path("a") == std::vector<std::string_view>{""});
}

TEST_CASE("a match reports the pattern it matched, for metrics labels, and no pattern when none did",
          "[unit][router]") {
    router r;
    r.add(http::verb::get, "/community/new", dummy());
    r.add(http::verb::get, "/community/:id/channel/:channel", dummy());

    CHECK(r.match(http::verb::get, "/community/7f3a/channel/99b1").pattern ==
          "/community/:id/channel/:channel");
    CHECK(r.match(http::verb::head, "/community/new").pattern == "/community/new");
    CHECK(r.match(http::verb::get, "/community/7f3a").pattern.empty());
    CHECK(r.match(http::verb::post, "/community/new").pattern.empty());
}
