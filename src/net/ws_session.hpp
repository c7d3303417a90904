// The server side of one websocket connection: accepts the upgrade, then runs one reader and one writer
// until the connection ends. Chat messages are fanned out by the hub as one shared, immutable string per
// message; a session only queues the pointer, so a thousand subscribers cost a thousand pointers.
//
// Backpressure is a policy, not a wait: a session's outgoing queue is bounded, and a client too slow to
// keep up is closed with 1013 (try again later). The browser reconnects and the app replays what it
// missed from the database, so dropping a slow client loses nothing and never stalls the others.
#pragma once

#include "app/log.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>

namespace eelchat::net {

using ws_stream = boost::beast::websocket::stream<boost::beast::tcp_stream>;

struct ws_options {
    std::size_t max_queued = 256;            // frames waiting to be written; beyond: close 1013
    std::size_t max_incoming_message = 1024; // clients have nothing to say; bigger frames close with 1009
    // Bounds the opening handshake, and also the whole closing phase: from the moment a close is decided
    // until the socket is gone (finishing the frame in flight, then the close handshake). A client that
    // stopped reading would otherwise hold the session until the idle timeout.
    std::chrono::seconds handshake_timeout{15};
    std::chrono::seconds idle_timeout{60}; // with keep-alive pings at half of it (Beast's timeout option)
};

// One websocket connection. Owned by shared_ptr: run() keeps it alive while the connection lasts, the
// app's fan-out registry holds it to call send(). Every member function must be called on the session's
// executor (the worker thread that accepted the connection); nothing here locks.
class ws_session : public std::enable_shared_from_this<ws_session> {
public:
    using open_handler = std::function<void(std::shared_ptr<ws_session>)>;

    // `stream` is the connection the HTTP layer read the upgrade request from; its expiry is turned off
    // here because the websocket's own timeouts take over.
    static std::shared_ptr<ws_session> create(boost::beast::tcp_stream stream, ws_options opts, logger log);

    ws_session(const ws_session&) = delete;
    ws_session& operator=(const ws_session&) = delete;
    ~ws_session();

    // Accepts the upgrade `req` (already read by the HTTP layer; the app has checked who may connect),
    // then runs the reader (reads and discards client messages; Beast answers pings) and the single writer
    // until the connection ends.
    //
    // Completion: when the socket is closed, whatever the reason (handshake failure, close from either
    // side, timeout, peer gone); network errors never throw. An exception from `on_open` propagates after
    // the socket was closed. No work is left on the io_context afterwards.
    // Cancellation: none of its own; end a session with close_now() (graceful shutdown uses 1012).
    //
    // `on_open` runs once after the handshake succeeded, on the session's executor, before any frame is
    // written: the app registers the session there and may send() catch-up frames. Call run() once.
    boost::asio::awaitable<void> run(boost::beast::http::request<boost::beast::http::string_body> req,
                                     open_handler on_open = {});

    // Queues one text frame. The same buffer goes to many sessions, so it is kept, never copied, until
    // its write completed. Returns false when the session is closing or closed, or when the queue was
    // full: then the session has dropped its queue and started closing with 1013.
    bool send(std::shared_ptr<const std::string> text);

    // Writes what is queued, then closes with `reason` (e.g. normal closure after a final notice).
    // Later send() calls return false. No effect when already closing.
    void close_after_queue(boost::beast::websocket::close_reason reason);

    // Drops the queue and closes with `reason` as soon as the frame in flight, if any, is written
    // (shutdown: 1012 service_restart; signed out: 1008 policy_error). Overrides a pending
    // close_after_queue; after an earlier close_now (or a 1013 drop), the first reason stands.
    void close_now(boost::beast::websocket::close_reason reason);

    // True once a close was requested or the connection ended: send() will refuse frames.
    bool closing() const noexcept { return phase_ >= phase::draining; }
    // Frames waiting to be written (not counting the one being written).
    std::size_t queued() const noexcept { return queue_.size(); }
    const boost::asio::any_io_executor& get_executor() const noexcept { return executor_; }

private:
    // fresh → open → (draining →) closing → closed; any phase may jump to closed when the connection ends.
    enum class phase { fresh, open, draining, closing, closed };

    ws_session(boost::beast::tcp_stream stream, ws_options opts, logger log);

    boost::asio::awaitable<void> read_loop();
    boost::asio::awaitable<void> write_loop();
    void begin_close(boost::beast::websocket::close_reason reason, phase next);
    void arm_close_deadline();
    void wake_writer();
    void note_end(const char* where, const boost::system::error_code& ec);
    void close_socket() noexcept;
    void finish() noexcept;

    ws_stream ws_;
    boost::asio::any_io_executor executor_;
    ws_options opts_;
    logger log_;
    std::string remote_; // for log lines only

    std::deque<std::shared_ptr<const std::string>> queue_;
    boost::asio::steady_timer wake_;           // the writer's condition variable: cancelled to wake it
    boost::asio::steady_timer close_deadline_; // armed when a close is decided (see ws_options)
    boost::beast::websocket::close_reason close_reason_;
    phase phase_ = phase::fresh;
    bool opened_ = false; // the handshake succeeded
    bool close_sent_ = false;
    std::string end_; // why the connection ended, for the closing log line
};

} // namespace eelchat::net
