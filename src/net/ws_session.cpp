#include "net/ws_session.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/error.hpp>

namespace eelchat::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;

std::shared_ptr<ws_session> ws_session::create(beast::tcp_stream stream, ws_options opts, logger log) {
    // The constructor is private so that a session only ever exists inside a shared_ptr (run() and the
    // close deadline rely on shared_from_this / weak_from_this).
    return std::shared_ptr<ws_session>(new ws_session(std::move(stream), opts, std::move(log)));
}

ws_session::ws_session(beast::tcp_stream stream, ws_options opts, logger log)
    : ws_(std::move(stream)), executor_(ws_.get_executor()), opts_(opts), log_(std::move(log)),
      wake_(executor_, asio::steady_timer::time_point::max()),
      close_deadline_(executor_, asio::steady_timer::time_point::max()) {
    error_code ec;
    auto ep = beast::get_lowest_layer(ws_).socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
}

ws_session::~ws_session() = default;

asio::awaitable<void> ws_session::run(beast::http::request<beast::http::string_body> req,
                                      open_handler on_open) {
    using namespace asio::experimental::awaitable_operators;
    auto self = shared_from_this();
    // However run() ends (including an exception from on_open), the socket closes and no timer of ours
    // or Beast's stays armed: the app may keep the session in its registry a little longer.
    struct finisher {
        ws_session& s;
        ~finisher() { s.finish(); }
    } guard{*this};

    // The HTTP layer's read deadline must not cut a long-lived websocket; Beast's timeouts take over.
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout{opts_.handshake_timeout, opts_.idle_timeout, true});
    ws_.read_message_max(opts_.max_incoming_message);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(beast::http::field::server, "eelchat"); }));
    ws_.text(true);

    error_code ec;
    co_await ws_.async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        end_ = "handshake: " + ec.message();
        co_return;
    }
    opened_ = true;
    if (phase_ == phase::fresh)
        phase_ = phase::open;
    else
        arm_close_deadline(); // close_now() or close_after_queue() came during the handshake
    log_.debug("ws_open", {{"remote", remote_}});

    if (on_open) on_open(self);
    co_await (read_loop() && write_loop());
}

asio::awaitable<void> ws_session::read_loop() {
    beast::flat_buffer buffer;
    error_code ec;
    for (;;) {
        co_await ws_.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        // Clients have nothing to say on this socket (they post forms over HTTP); reading only keeps
        // pings, pongs and the close handshake flowing.
        buffer.clear();
    }
    note_end("read", ec);
    const bool close_in_progress = close_sent_;
    phase_ = phase::closed;
    queue_.clear();
    wake_writer();
    // When our close is in flight, Beast finishes its teardown itself (bounded by the close deadline).
    // Otherwise the peer is gone or misbehaved: a write blocked on it must not outlive the reader.
    if (!close_in_progress) close_socket();
}

asio::awaitable<void> ws_session::write_loop() {
    error_code ec;
    for (;;) {
        if (phase_ == phase::closed) break;
        if (phase_ != phase::closing && !queue_.empty()) {
            // The local keeps the shared frame alive until its write completed, even if close_now()
            // drops the queue meanwhile.
            auto frame = std::move(queue_.front());
            queue_.pop_front();
            co_await ws_.async_write(asio::buffer(*frame), asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                note_end("write", ec);
                break;
            }
            continue;
        }
        if (phase_ == phase::draining || phase_ == phase::closing) {
            // Exactly one close frame: the reader then sees the peer's answer (or the deadline fires).
            phase_ = phase::closing;
            close_sent_ = true;
            auto reason = close_reason_;
            co_await ws_.async_close(reason, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                note_end("close", ec);
                break;
            }
            if (end_.empty()) end_ = "closed by server";
            // The close frame is out. The reader now receives the peer's answer and Beast tears the
            // connection down; closing the socket here would reset it while the answer is unread, and a
            // browser whose connection is reset may never see our close code (it reports 1006 instead of,
            // say, 1012, and then does not know to reconnect). The close deadline bounds the wait.
            co_return;
        }
        // Idle: wait for send() or a close request to cancel the timer (its expiry is never reached).
        co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    // A failed write leaves the reader waiting on a connection that is no use any more.
    close_socket();
}

bool ws_session::send(std::shared_ptr<const std::string> text) {
    if (phase_ >= phase::draining) return false;
    if (queue_.size() >= opts_.max_queued) {
        // The client cannot keep up. Waiting would stall the hub and every other subscriber, and
        // buffering more would grow without bound; it reconnects and replays from the database instead.
        log_.info("ws_too_slow", {{"remote", remote_}, {"queued", queue_.size()}});
        const websocket::close_reason reason(websocket::close_code::try_again_later,
                                             "too slow; reconnect to catch up");
        begin_close(reason, phase::closing);
        return false;
    }
    queue_.push_back(std::move(text));
    wake_writer();
    return true;
}

void ws_session::close_after_queue(websocket::close_reason reason) {
    begin_close(reason, phase::draining);
}

void ws_session::close_now(websocket::close_reason reason) {
    begin_close(reason, phase::closing);
}

void ws_session::begin_close(websocket::close_reason reason, phase next) {
    // Once the close frame is out, or a hard close is already decided, the first reason stands.
    if (phase_ == phase::closed || phase_ == phase::closing || close_sent_) return;
    if (next == phase::draining && phase_ == phase::draining) return;
    log_.debug("ws_closing", {{"remote", remote_},
                              {"code", static_cast<int>(reason.code)},
                              {"drain", next == phase::draining},
                              {"dropped", next == phase::closing ? queue_.size() : std::size_t(0)}});
    close_reason_ = std::move(reason);
    phase_ = next;
    if (next == phase::closing) queue_.clear();
    if (opened_) arm_close_deadline();
    wake_writer();
}

void ws_session::arm_close_deadline() {
    if (close_deadline_.expiry() != asio::steady_timer::time_point::max()) return; // already running
    close_deadline_.expires_after(opts_.handshake_timeout);
    // A weak reference: the deadline must not keep a finished session alive.
    close_deadline_.async_wait([weak = weak_from_this()](error_code ec) {
        if (ec) return;
        auto self = weak.lock();
        if (!self || self->phase_ == phase::closed) return;
        // The client stopped reading: neither the frame in flight nor the close frame can get through.
        // Closing the socket completes every pending operation, so run() ends.
        if (self->end_.empty()) self->end_ = "close deadline";
        self->close_socket();
    });
}

void ws_session::note_end(const char* where, const error_code& ec) {
    if (end_.empty()) end_ = std::string(where) + ": " + ec.message();
}

void ws_session::wake_writer() {
    wake_.cancel();
}

void ws_session::close_socket() noexcept {
    error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
}

void ws_session::finish() noexcept {
    phase_ = phase::closed;
    queue_.clear();
    close_socket();
    try {
        close_deadline_.cancel();
        wake_.cancel();
        // Beast arms its idle/ping timer on every read but does not disarm it when a read fails; turning
        // the timeouts off cancels it, so a session the app still references leaves no work behind.
        ws_.set_option(websocket::stream_base::timeout{websocket::stream_base::none(),
                                                       websocket::stream_base::none(), false});
        log_.debug("ws_closed", {{"remote", remote_}, {"why", end_}});
    } catch (...) {
        // Runs from a destructor; a failed cancel on an epoll timer does not happen in practice.
    }
}

} // namespace eelchat::net
