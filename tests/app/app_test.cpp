// The whole HTTP side of eelchat (server, router, pages, assets, pool) over real sockets and a real
// PostgreSQL, as a browser or a load balancer sees it.
#include "app/app.hpp"
#include "net/server.hpp"

#include "support/async.hpp"
#include "support/env.hpp"
#include "support/http_client.hpp"
#include "support/app_server.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

test::response get(std::uint16_t port, std::string target, std::vector<std::pair<std::string, std::string>> headers = {}) {
    asio::io_context ctx;
    return test::run_async(ctx, test::fetch(port, {http::verb::get, std::move(target), std::move(headers)}));
}

} // namespace

TEST_CASE("health and readiness answer while the database is up", "[pg][app]") {
    test::app_server a;
    auto h = get(a.port(), "/healthz");
    CHECK(h.result() == http::status::ok);
    auto r = get(a.port(), "/readyz");
    CHECK(r.result() == http::status::ok);
    CHECK(r.body() == "ready\n");
}

TEST_CASE("the landing page links versioned assets that are served with cache headers", "[pg][app]") {
    test::app_server a;
    auto page = get(a.port(), "/");
    REQUIRE(page.result() == http::status::ok);
    CHECK(page[http::field::content_type] == "text/html; charset=utf-8");
    CHECK_THAT(page.body(), Catch::Contains("The world's finest discussion platform"));
    CHECK(page["X-Content-Type-Options"] == "nosniff");
    CHECK_THAT(std::string(page["Content-Security-Policy"]), Catch::Contains("script-src 'self'"));
    CHECK(page["X-Frame-Options"] == "SAMEORIGIN");

    // The stylesheet link carries the content hash; that URL may be cached for a year.
    auto at = page.body().find("/css/main.css?v=");
    REQUIRE(at != std::string::npos);
    auto url = page.body().substr(at, page.body().find('"', at) - at);
    auto css = get(a.port(), url);
    REQUIRE(css.result() == http::status::ok);
    CHECK(css[http::field::content_type] == "text/css; charset=utf-8");
    CHECK(css[http::field::cache_control] == "public, max-age=31536000, immutable");
    CHECK_THAT(css.body(), Catch::Contains(".bg-orange-50"));
    const std::string etag(css[http::field::etag]);
    REQUIRE(!etag.empty());

    // Revalidation with the ETag costs no body; an unversioned URL must revalidate.
    auto again = get(a.port(), "/css/main.css", {{"If-None-Match", etag}});
    CHECK(again.result() == http::status::not_modified);
    CHECK(again.body().empty());
    CHECK(again[http::field::cache_control] == "public, no-cache");

    auto htmx = get(a.port(), "/vendor/htmx.min.js");
    CHECK(htmx.result() == http::status::ok);
    CHECK(htmx[http::field::content_type] == "text/javascript; charset=utf-8");
}

TEST_CASE("unknown paths get the 404 page and wrong methods a 405 with Allow", "[pg][app]") {
    test::app_server a;
    auto missing = get(a.port(), "/no/such/page");
    CHECK(missing.result() == http::status::not_found);
    CHECK_THAT(missing.body(), Catch::Contains("Page not found."));
    CHECK_THAT(missing.body(), Catch::Contains("bg-orange-50"));

    asio::io_context ctx;
    auto wrong = test::run_async(ctx, test::fetch(a.port(), {http::verb::post, "/healthz"}));
    CHECK(wrong.result() == http::status::method_not_allowed);
    CHECK(wrong[http::field::allow] == "GET, HEAD");
    CHECK_THAT(wrong.body(), Catch::Contains("Something went wrong."));
}

TEST_CASE("when PostgreSQL stops, readiness says 503 without hanging, and recovers by itself", "[pg][app][restart]") {
    test::app_server a;
    REQUIRE(get(a.port(), "/readyz").result() == http::status::ok);

    test::run_env_command("EELCHAT_TEST_PG_STOP");
    // If an assertion below fails, start PostgreSQL again anyway, for the tests that follow.
    struct restart_guard {
        bool needed = true;
        ~restart_guard() {
            if (needed) std::system(std::getenv("EELCHAT_TEST_PG_START"));
        }
    } guard;

    auto down = get(a.port(), "/readyz");
    CHECK(down.result() == http::status::service_unavailable);
    // Pages answer at once with a clear 503 page instead of hanging; the process itself is fine.
    auto page = get(a.port(), "/");
    CHECK(page.result() == http::status::service_unavailable);
    CHECK_THAT(page.body(), Catch::Contains("eelchat cannot reach its database right now"));
    CHECK(page[http::field::retry_after] == "5");
    CHECK(get(a.port(), "/healthz").result() == http::status::ok);

    guard.needed = false;
    test::run_env_command("EELCHAT_TEST_PG_START");
    // The pool reconnects on demand: within a few tries readiness is back, with no restart of eelchat.
    bool ready = false;
    for (int i = 0; i < 50 && !ready; ++i) ready = get(a.port(), "/readyz").result() == http::status::ok;
    CHECK(ready);
    CHECK(get(a.port(), "/").result() == http::status::ok);
}
