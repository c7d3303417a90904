// The HTTP vocabulary shared by src/net and src/routes: request and response types and the interface the
// server calls for every request. Only Beast's message headers, not its stream machinery.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "net/body_stream.hpp"

#include <functional>
#include <memory>
#include <variant>

#include <chrono>
#include <cstdint>
#include <string>

namespace eelchat::net {

namespace http = boost::beast::http;

using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;
using http_request_header = http::request_header<>;

// What the server knows about a request besides the message itself.
struct request_info {
    boost::asio::ip::address remote;
    std::uint64_t id = 0; // unique within the process, for correlating log lines
    std::chrono::steady_clock::time_point received;
    // Set by the handler: what served the request, as a metrics label of bounded cardinality (a route
    // pattern, never the raw path); must stay valid after handle() returns (a string of the handler's).
    // Empty: "other".
    std::string_view route;
    // Set by the server when the handler asked for a streamed body (streams_body): the body, still to be
    // read; the request's own body is then empty. Valid until handle() completes.
    request_body* body = nullptr;
    // Set by the handler to send the response body from this source instead of the response's body
    // string; the response must then carry its Content-Length.
    std::unique_ptr<response_body> streamed_response;
};

// Takes over a connection whose upgrade to a WebSocket the application accepted: gets the connection's
// socket and the upgrade request, starts the WebSocket and returns; the connection is the runner's from
// then on. The HTTP layer lets go of everything else the connection held: an idle WebSocket keeps no
// HTTP buffers and no coroutine frame alive.
using websocket_runner = std::function<void(boost::asio::ip::tcp::socket, http_request)>;

// The application side of the server: one instance per worker thread, created on that thread and only
// ever called from it, so handlers need no locks.
class http_handler {
public:
    virtual ~http_handler() = default;

    // Produces the response to one request. Exceptions escaping it are a bug: the server logs them and
    // answers 500. Completes when the response is ready; it is never cancelled mid-way by the server.
    virtual boost::asio::awaitable<http_response> handle(http_request& req, request_info& info) = 0;

    // Whether the request whose header this is should reach handle() with its body still unread, to
    // be read through request_info::body (uploads); otherwise the server reads the whole body first,
    // up to its body limit. Called before anything of the body was read.
    virtual bool streams_body(const http_request_header&) { return false; }

    // For a WebSocket upgrade request: either the runner that takes the connection over, or the response
    // refusing the upgrade. By default nothing upgrades.
    virtual boost::asio::awaitable<std::variant<http_response, websocket_runner>>
    handle_upgrade(http_request& req, request_info&) {
        co_return error_response(http::status::not_found, req.version());
    }

    // The response for requests the server rejects before a handler sees them (malformed, too large) and
    // for exceptions: an error page with this status.
    virtual http_response error_response(http::status status, unsigned version) = 0;

    // Graceful shutdown has begun: release what keeps the worker's io_context busy (pools, listeners).
    virtual void shutdown() {}
};

} // namespace eelchat::net
