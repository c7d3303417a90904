// What every request goes through around its handler: the router's match, the CSRF check of every state
// change (once, for all routes), the static assets for paths no route claims, error pages, the cookies
// the handler set and the headers every answer carries (the Content-Security-Policy among them).
#pragma once

#include "net/http.hpp"
#include "routes/context.hpp"
#include "routes/router.hpp"

#include <boost/asio/awaitable.hpp>

namespace eelchat::routes {

// Answers `ctx.req` with the route `r` matches. Completes with the response to send (a WebSocket route
// also sets ctx.websocket and answers 101). Failures of the database answer 503 pages; never throws for
// bad input.
boost::asio::awaitable<net::http_response> dispatch(const router& r, request_context& ctx);

// The error page for `status` with the common headers, for answers the HTTP layer gives on its own
// (oversized or malformed requests) before any route.
net::http_response error_answer(render::page_renderer& pages, net::http::status status, unsigned version);

} // namespace eelchat::routes
