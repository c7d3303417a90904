// The HTTP server: one io_context per thread, each with its own SO_REUSEPORT acceptor, so a connection and
// every coroutine serving it stay on one thread with no locks. Work that must reach every thread is posted
// to each worker once (for_each_worker).
#pragma once

#include "core/log.hpp"
#include "net/connection_caps.hpp"
#include "net/http.hpp"

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace eelchat::net {

struct server_limits {
    std::size_t header_limit = 16 * 1024;           // request line + headers, bytes (431 beyond)
    std::uint64_t body_limit = 1024 * 1024;         // request body, bytes (413 beyond)
    std::chrono::milliseconds read_timeout{30000};  // to read one whole request once it started
    std::chrono::milliseconds idle_timeout{75000};  // keep-alive connection with no request
    std::chrono::milliseconds write_timeout{30000}; // to write one response
    // Connections open at once from one client address (an IPv6 /64), over all workers; a connection
    // beyond is closed at once. 0: no limit (behind a proxy every connection has the proxy's address).
    std::size_t max_connections_per_address = 0;
};

struct server_options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080; // 0 picks a free port (see port())
    unsigned threads = 1;
    server_limits limits;
};

class worker;

class server {
public:
    // Creates the handler of one worker; called once per worker, on that worker's thread.
    using handler_factory = std::function<std::unique_ptr<http_handler>(boost::asio::io_context&)>;

    server(server_options opts, handler_factory factory, logger log);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // Binds every worker's acceptor (throws on failure, e.g. the port is taken) and starts the threads.
    void start();
    // The bound port (useful when options.port was 0). Valid after start().
    std::uint16_t port() const { return port_; }

    // Graceful stop, callable from any thread, idempotent: stop accepting, close idle keep-alive
    // connections, let in-flight requests finish (their connections close after the response) and call
    // each handler's shutdown(). Worker threads end when their io_context runs out of work.
    void stop();
    // Hard stop: abandon whatever is still running (stops every io_context).
    void force_stop();
    // Waits until every worker thread ended or `grace` elapsed; then force-stops the rest and joins.
    // Returns true when everything ended within the grace period without a forced stop.
    bool join(std::chrono::milliseconds grace);

    // Posts fn(io_context&) to every worker once.
    void for_each_worker(std::function<void(boost::asio::io_context&)> fn);

private:
    server_options opts_;
    handler_factory factory_;
    logger log_;
    std::uint16_t port_ = 0;
    std::shared_ptr<connection_caps> per_address_ = std::make_shared<connection_caps>();
    std::vector<std::unique_ptr<worker>> workers_;
    std::vector<std::thread> threads_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> forced_{false};
    std::mutex done_mutex_;
    std::condition_variable done_cv_;
    unsigned running_ = 0;
};

} // namespace eelchat::net
