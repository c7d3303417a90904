#include "db/pool.hpp"
#include "routes/responses.hpp"
#include "routes/routes.hpp"

namespace eelchat::routes {

namespace asio = boost::asio;

void add_health_routes(router& r) {
    r.add(http::verb::get, "/healthz", [](request_context&) -> asio::awaitable<net::http_response> {
        co_return text_response(http::status::ok, "ok\n");
    });

    // Ready only when a round trip to PostgreSQL succeeds within the pool's call deadline, so a load
    // balancer stops sending traffic to an instance that could only answer 503.
    // While draining (SIGTERM received, SHUTDOWN_DRAIN_MS not yet over) the instance still serves
    // everything, but says it is not ready, so traffic moves elsewhere before its sockets close.
    r.add(http::verb::get, "/readyz", [](request_context& ctx) -> asio::awaitable<net::http_response> {
        if (ctx.svc.draining && ctx.svc.draining->load(std::memory_order_relaxed))
            co_return text_response(http::status::service_unavailable, "draining\n");
        auto res = co_await ctx.svc.db.query("SELECT 1", {});
        if (res.has_error()) {
            ctx.svc.log.warn("not_ready", {{"error", res.error().message()}});
            co_return text_response(http::status::service_unavailable, "database unavailable\n");
        }
        co_return text_response(http::status::ok, "ready\n");
    });
}

} // namespace eelchat::routes
