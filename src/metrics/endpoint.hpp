// The Prometheus endpoint: a listener of its own (METRICS_ADDR) on a thread of its own, serving
// GET /metrics in the text exposition format and 404 for anything else. Apart from the chat's port, so
// that it can stay on a private interface, and apart from the chat's threads, so that a scrape never
// waits for a busy worker nor delays one.
//
// Bounded: a few connections at once (more are closed at once), small request headers, a deadline on
// every read and write; a scrape renders the registry (a few hundred lines) and reads /proc/self.
#pragma once

#include "core/log.hpp"
#include "core/metrics.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

namespace eelchat::metrics {

// The Content-Type of the text exposition format, version 0.0.4.
inline constexpr std::string_view exposition_content_type = "text/plain; version=0.0.4; charset=utf-8";

struct endpoint_options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 9464; // 0: any free port (see endpoint::port())
    std::size_t max_connections = 8;
    std::chrono::milliseconds timeout{10000}; // to read a request, and to write its answer
};

class endpoint {
public:
    // Binds (throws boost::system::system_error when it cannot, e.g. the port is taken) and starts the
    // endpoint's thread.
    endpoint(endpoint_options opts, registry& reg, logger log);
    ~endpoint();
    endpoint(const endpoint&) = delete;
    endpoint& operator=(const endpoint&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    // Closes the listener and every connection, and joins the thread. Idempotent.
    void stop();

private:
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);

    endpoint_options opts_;
    registry& registry_;
    logger log_;
    boost::asio::io_context ctx_{1};
    boost::asio::ip::tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    std::size_t connections_ = 0; // on the endpoint's thread only
    std::thread thread_;
};

} // namespace eelchat::metrics
