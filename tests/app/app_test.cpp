// The whole HTTP side of eelchat (server, router, pages, assets, pool) over real sockets and a real
// PostgreSQL, as a browser or a load balancer sees it.
#include "app/app.hpp"
#include "net/server.hpp"

#include "support/async.hpp"
#include "support/env.hpp"
#include "support/http_client.hpp"
#include "support/scratch_db.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

struct running_app {
    net::server srv;

    explicit running_app(const std::string& database_url)
        : srv(
              [] {
                  net::server_options o;
                  o.port = 0;
                  o.threads = 2;
                  return o;
              }(),
              [shared = make_shared_state(database_url)](asio::io_context& ctx) {
                  return std::make_unique<app>(ctx, shared);
              },
              logger::null()) {
        srv.start();
    }
    ~running_app() {
        srv.stop();
        srv.join(std::chrono::seconds(10));
    }

    static std::shared_ptr<const shared_state> make_shared_state(const std::string& url) {
        config cfg;
        cfg.database_url = url;
        cfg.db_pool_size = 2;
        cfg.db_timeout = std::chrono::milliseconds(2000);
        cfg.assets_dir = EELCHAT_ASSETS_DIR;
        return std::make_shared<shared_state>(
            shared_state{cfg, logger::null(), render::asset_store::load(cfg.assets_dir)});
    }
};

test::response get(std::uint16_t port, std::string target, std::vector<std::pair<std::string, std::string>> headers = {}) {
    asio::io_context ctx;
    return test::run_async(ctx, test::fetch(port, {http::verb::get, std::move(target), std::move(headers)}));
}

} // namespace

TEST_CASE("health and readiness answer while the database is up", "[pg][app]") {
    test::scratch_db db;
    running_app a(db.url());
    auto h = get(a.srv.port(), "/healthz");
    CHECK(h.result() == http::status::ok);
    auto r = get(a.srv.port(), "/readyz");
    CHECK(r.result() == http::status::ok);
    CHECK(r.body() == "ready\n");
}

TEST_CASE("the landing page links versioned assets that are served with cache headers", "[pg][app]") {
    test::scratch_db db;
    running_app a(db.url());
    auto page = get(a.srv.port(), "/");
    REQUIRE(page.result() == http::status::ok);
    CHECK(page[http::field::content_type] == "text/html; charset=utf-8");
    CHECK_THAT(page.body(), Catch::Contains("The world's finest discussion platform"));
    CHECK(page["X-Content-Type-Options"] == "nosniff");
    CHECK(page["X-Frame-Options"] == "SAMEORIGIN");

    // The stylesheet link carries the content hash; that URL may be cached for a year.
    auto at = page.body().find("/css/main.css?v=");
    REQUIRE(at != std::string::npos);
    auto url = page.body().substr(at, page.body().find('"', at) - at);
    auto css = get(a.srv.port(), url);
    REQUIRE(css.result() == http::status::ok);
    CHECK(css[http::field::content_type] == "text/css; charset=utf-8");
    CHECK(css[http::field::cache_control] == "public, max-age=31536000, immutable");
    CHECK_THAT(css.body(), Catch::Contains(".bg-orange-50"));
    const std::string etag(css[http::field::etag]);
    REQUIRE(!etag.empty());

    // Revalidation with the ETag costs no body; an unversioned URL must revalidate.
    auto again = get(a.srv.port(), "/css/main.css", {{"If-None-Match", etag}});
    CHECK(again.result() == http::status::not_modified);
    CHECK(again.body().empty());
    CHECK(again[http::field::cache_control] == "public, no-cache");

    auto htmx = get(a.srv.port(), "/vendor/htmx.min.js");
    CHECK(htmx.result() == http::status::ok);
    CHECK(htmx[http::field::content_type] == "text/javascript; charset=utf-8");
}

TEST_CASE("unknown paths get the 404 page and wrong methods a 405 with Allow", "[pg][app]") {
    test::scratch_db db;
    running_app a(db.url());
    auto missing = get(a.srv.port(), "/no/such/page");
    CHECK(missing.result() == http::status::not_found);
    CHECK_THAT(missing.body(), Catch::Contains("Page not found."));
    CHECK_THAT(missing.body(), Catch::Contains("bg-orange-50"));

    asio::io_context ctx;
    auto wrong = test::run_async(ctx, test::fetch(a.srv.port(), {http::verb::post, "/healthz"}));
    CHECK(wrong.result() == http::status::method_not_allowed);
    CHECK(wrong[http::field::allow] == "GET, HEAD");
    CHECK_THAT(wrong.body(), Catch::Contains("Something went wrong."));
}

TEST_CASE("when PostgreSQL stops, readiness says 503 without hanging, and recovers by itself", "[pg][app][restart]") {
    test::scratch_db db;
    running_app a(db.url());
    REQUIRE(get(a.srv.port(), "/readyz").result() == http::status::ok);

    test::run_env_command("EELCHAT_TEST_PG_STOP");
    struct restart_guard {
        ~restart_guard() { std::system(std::getenv("EELCHAT_TEST_PG_START")); }
    } guard;

    auto down = get(a.srv.port(), "/readyz");
    CHECK(down.result() == http::status::service_unavailable);
    // Pages that do not need the database keep working.
    CHECK(get(a.srv.port(), "/").result() == http::status::ok);
    CHECK(get(a.srv.port(), "/healthz").result() == http::status::ok);

    test::run_env_command("EELCHAT_TEST_PG_START");
    // The pool reconnects on demand: within a few tries readiness is back, with no restart of eelchat.
    bool ready = false;
    for (int i = 0; i < 50 && !ready; ++i) ready = get(a.srv.port(), "/readyz").result() == http::status::ok;
    CHECK(ready);
}
