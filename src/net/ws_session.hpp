// The server side of one websocket connection: answers the upgrade, then reads the client's frames and
// writes what the app queues until the connection ends. Chat messages are fanned out by the hub as one
// shared, pre-framed buffer per message (ws_frame); a session only queues the pointer, so a thousand
// subscribers cost a thousand pointers, and the writer sends everything pending with one gather write.
//
// The session speaks RFC 6455 over the bare TCP socket itself (ws_frame, ws_handshake): Beast's
// websocket stream frames each message on its own and writes pongs and close frames from inside its read,
// which a writer sending whole batches of pre-framed bytes could not interleave with. Reading needs no
// buffer per connection either: the session waits until the socket is readable and reads into a buffer of
// its thread, keeping only the parser's few bytes of state. No coroutine runs per connection (run() is a
// thin wrapper over start()): an idle session is about 400 bytes, plus Asio's per-socket state and two
// pending waits (readable, keep-alive timer).
//
// Backpressure is a policy, not a wait: a session's outgoing queue is bounded, and a client too slow to
// keep up is closed with 1013 (try again later). The browser reconnects and the app replays what it
// missed from the database, so dropping a slow client loses nothing and never stalls the others.
#pragma once

#include "core/log.hpp"
#include "net/http.hpp"
#include "net/ws_flush_scheduler.hpp"
#include "net/ws_frame.hpp"
#include "net/ws_frame_queue.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace eelchat::net {

struct ws_options {
    std::size_t max_queued = 256;            // frames waiting to be written; beyond: close 1013
    std::size_t max_incoming_message = 1024; // clients have nothing to say; bigger messages close with 1009
    // Bounds writing a refused upgrade's answer, and the whole closing phase: from the moment a close is
    // decided until the socket is gone (finishing the bytes in flight, then the close handshake). A client
    // that stopped reading would otherwise hold the session until the idle timeout.
    std::chrono::seconds handshake_timeout{15};
    // Keep-alive: every half of this the session pings with a fresh random payload, and a client that has
    // not echoed the previous ping's payload in a pong by then is gone. Only that pong counts as a sign of
    // life, so a client that trickles bytes or frames but never reads what the server writes is closed
    // within this time, whatever it sends: it is also the write deadline of an open session.
    std::chrono::seconds idle_timeout{60};
    // Given: the client's data messages reach it whole, on the session's executor (each at most
    // max_incoming_message bytes; the view is valid during the call). Not given: they are skipped unread.
    // It must not own the session (hold a weak or raw pointer), or the two would keep each other alive.
    std::function<void(std::string_view)> on_message;
};

// One websocket connection. Owned by shared_ptr: its pending operations keep it alive while the
// connection lasts, the app's fan-out registry holds it to call send(). Every member function must be called
// on the session's executor (the worker thread that accepted the connection); nothing here locks.
class ws_session : public std::enable_shared_from_this<ws_session> {
    struct private_tag {};

public:
    using open_handler = std::function<void(std::shared_ptr<ws_session>)>;

    // `socket` is the connection the HTTP layer read the upgrade request from; its executor must be an
    // io_context's (throws std::invalid_argument otherwise).
    static std::shared_ptr<ws_session> create(boost::asio::ip::tcp::socket socket, ws_options opts,
                                              logger log);

    ws_session(private_tag, boost::asio::ip::tcp::socket socket, ws_options opts, logger log);
    ws_session(const ws_session&) = delete;
    ws_session& operator=(const ws_session&) = delete;
    ~ws_session();

    // Answers the upgrade `req` (already read by the HTTP layer; the app has checked who may connect),
    // then reads client frames (discarding messages, answering pings and the close handshake) and writes
    // queued frames until the connection ends.
    //
    // Completion: when the socket is closed and no operation of the session is pending, whatever the
    // reason (refused handshake, close from either side, timeout, peer gone); network errors never throw.
    // An exception from `on_open` propagates after the socket was closed. No work is left on the
    // io_context afterwards.
    // Cancellation: none of its own; end a session with close_now() (graceful shutdown uses 1012).
    //
    // `on_open` runs once when the upgrade is accepted, on the session's executor, before any frame is
    // written: the app registers the session there and may send() catch-up frames, which go out in the
    // same write as the 101 answer. Call run() or start() once, right after create().
    boost::asio::awaitable<void> run(http_request req, open_handler on_open = {});

    // run() without a coroutine, for a server that keeps no coroutine frame per connection: answers `req`
    // and returns at once, having called `on_open` if the upgrade was accepted (an exception from it
    // closes the socket and propagates from here). `on_end` is run()'s completion: it runs once, through
    // the session's executor, when the connection is over and nothing of the session is pending, also
    // after a refused handshake or a throwing on_open.
    using end_handler = boost::asio::any_completion_handler<void()>;
    void start(http_request req, open_handler on_open, end_handler on_end);

    // Queues one frame (see make_text_frame). The same buffer goes to many sessions, so it is kept, never
    // copied, until written. Returns false when the session is closing or closed, or when the queue was
    // full: then the session has dropped its queue and started closing with 1013. Frames queued by one
    // handler go out together, in one write, after it returns.
    bool send(ws_frame frame);

    // Writes what is queued, then closes with `reason` (e.g. normal closure after a final notice).
    // Later send() calls return false. No effect when already closing.
    void close_after_queue(boost::beast::websocket::close_reason reason);

    // Drops the queue and closes with `reason` as soon as the bytes in flight, if any, are written
    // (shutdown: 1012 service_restart; signed out: 1008 policy_error). Overrides a pending
    // close_after_queue; after an earlier close_now (or a 1013 drop), the first reason stands.
    void close_now(boost::beast::websocket::close_reason reason);

    // True once a close was requested or the connection ended: send() will refuse frames.
    bool closing() const noexcept { return phase_ >= phase::draining; }
    // Frames waiting to be written, not counting a part-written one or the close frame.
    std::size_t queued() const noexcept;
    boost::asio::any_io_executor get_executor() noexcept { return socket_.get_executor(); }

private:
    friend class ws_flush_scheduler;

    // fresh → open → (draining →) closing → closed; any phase may jump to closed when the connection ends.
    enum class phase : std::uint8_t { fresh, open, draining, closing, closed };

    void begin_close(const boost::beast::websocket::close_reason& reason, phase next);

    void start_reading();
    void on_readable(const boost::system::error_code& ec);
    bool handle_input(std::string_view in); // false: the session stopped reading
    void answer_ping(std::string_view payload);
    void encode_pong(std::string_view payload); // into *pong_
    void schedule_flush();                      // joins the context's write turns (ws_flush_scheduler), once
    void scheduled_flush();                     // this session's turn came
    void flush();
    void on_close_written();

    void arm_timer(std::chrono::steady_clock::duration after);
    void on_timer(const boost::system::error_code& ec, std::uint32_t generation);
    void arm_close_deadline();

    void end(const char* where, const boost::system::error_code& ec); // the connection is over
    void note_end(const char* where, const boost::system::error_code& ec);
    void close_socket() noexcept;
    void count_end() noexcept; // the open-sockets gauge and the closes counter, once
    void maybe_complete();
    std::string remote() const;

    // Bound to the io_context's own executor type rather than any_io_executor: that type-erased executor
    // is 56 bytes, and the socket, the timer and each pending operation would carry a copy.
    using executor_type = boost::asio::io_context::executor_type;
    using socket_type = boost::asio::basic_stream_socket<boost::asio::ip::tcp, executor_type>;
    using timer_type =
        boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                          boost::asio::wait_traits<std::chrono::steady_clock>, executor_type>;

    socket_type socket_;
    timer_type timer_; // keep-alive ticks, then the close deadline
    ws_flush_scheduler& flusher_;
    logger log_;
    ws_options opts_;
    ws_frame_queue queue_;
    std::size_t offset_ = 0; // bytes of queue_[0] already written
    ws_frame_parser parser_;
    end_handler done_; // run()'s or start()'s completion, once the session is over
    std::string end_;  // why the connection ended, for the closing log line
    std::uint32_t timer_generation_ = 0;
    std::uint16_t close_code_ = 0; // the first close code sent or received (metrics)
    phase phase_ = phase::fresh;
    bool counted_open_ = false;      // counted in eelchat_websockets_open
    bool started_ = false;           // the writer may write
    bool handshake_pending_ = false; // queue_[0] is the 101 answer, not yet written whole
    bool refused_ = false;           // queue_ holds the refusal of the upgrade: the connection ends after it
    bool close_queued_ = false;      // our close frame is the last frame of queue_
    bool close_sent_ = false;        // our close frame is written
    bool peer_closed_ = false;       // the client's close frame arrived
    bool failed_ = false;            // the client broke the protocol: its further bytes are ignored
    bool deadline_armed_ = false;
    bool reading_ = false;       // a wait for readability is pending
    bool write_waiting_ = false; // a wait for writability is pending
    bool flush_posted_ = false;  // in flusher_'s list
    bool ping_sent_ = false;     // a keep-alive ping carrying ping_token_ went out at the last tick
    bool answered_ = false;      // its pong came back
    std::uint64_t ping_token_ = 0;
    // The pong answering the latest ping, while it waits in queue_ (shared with it). Pings that arrive
    // before it is written replace its payload instead of queueing more pongs (RFC 6455 5.5.3 allows
    // answering only the most recent), so a ping flood costs one pong, not one per ping.
    std::shared_ptr<std::string> pong_;
};

} // namespace eelchat::net
