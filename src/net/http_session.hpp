// One coroutine per HTTP connection: read a request, hand it to the handler, write the response, repeat
// while keep-alive holds. Internal to src/net (server.cpp is its only user).
#pragma once

#include "core/log.hpp"
#include "net/http.hpp"
#include "net/server.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <atomic>
#include <cstdint>
#include <unordered_set>

namespace eelchat::net {

// A live connection as its worker sees it, so that graceful shutdown can close the idle ones.
struct connection_entry {
    boost::beast::tcp_stream* stream = nullptr;
    bool busy = false; // a request is being handled or its response written
};

// The connections of one worker. Used only on that worker's thread.
class connection_registry {
public:
    void add(connection_entry* e) { entries_.insert(e); }
    void remove(connection_entry* e) { entries_.erase(e); }
    std::size_t size() const { return entries_.size(); }
    bool stopping() const { return stopping_; }

    // Marks the worker as stopping and cancels the reads of connections waiting for a request; busy
    // connections close after their current response.
    void begin_shutdown();

private:
    std::unordered_set<connection_entry*> entries_;
    bool stopping_ = false;
};

// Serves one connection until the peer closes it, keep-alive ends, a limit is exceeded or shutdown.
// Completes when the socket is closed, or handed over to a WebSocket runner (spawned on its own); it has no
// cancellation of its own (shutdown goes through the registry). Request ids come from `next_id`, shared by
// all workers.
boost::asio::awaitable<void> serve_http_connection(boost::asio::ip::tcp::socket socket, http_handler& handler,
                                                   connection_registry& registry, server_limits limits,
                                                   logger log, std::atomic<std::uint64_t>& next_id);

} // namespace eelchat::net
