#include "net/ws_session.hpp"

#include "core/metrics.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <random>
#include <stdexcept>

namespace eelchat::net {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// One gather write takes at most this much: 64 is the iovec count Asio hands to one sendmsg, and the
// byte cap keeps one socket's backlog from hogging the thread.
constexpr std::size_t max_gather_frames = 64;
constexpr std::size_t max_gather_bytes = 256 * 1024;
// Rounds of reading or writing one wake-up may do before the session yields to the other connections.
constexpr int max_rounds = 4;
// Clients send little (pongs, a close frame), so reads go through one buffer per thread.
constexpr std::size_t scratch_size = 16 * 1024;

auto& open_sockets =
    metrics::global().gauges("eelchat_websockets_open", "WebSocket connections open now.").get();
auto& closes_total = metrics::global().counters(
    "eelchat_websocket_closes_total",
    "WebSocket connections ended, by close code (the first one sent or received; 1006: none, the "
    "connection just ended).",
    {"code"});

// The codes eelchat or browsers send get their own label value; anything else (a client may send any
// code from 3000 to 4999) counts as "other", so the label stays bounded.
std::string_view close_label(std::uint16_t code) {
    static constexpr std::array<std::string_view, 14> known = {"1000", "1001", "1002", "1003", "1005",
                                                               "1006", "1007", "1008", "1009", "1010",
                                                               "1011", "1012", "1013", "1014"};
    if (code >= 1000 && code <= 1014 && code != 1004) {
        const std::size_t i = code - 1000 - (code > 1004 ? 1 : 0);
        return known[i];
    }
    return "other";
}

bool would_block(const error_code& ec) {
    return ec == asio::error::would_block || ec == asio::error::try_again;
}

// The same connection, re-registered under the io_context's own executor type.
template <class Socket> Socket adopt(tcp::socket socket) {
    const auto* ex = socket.get_executor().target<asio::io_context::executor_type>();
    if (!ex) throw std::invalid_argument("ws_session: the socket's executor is not an io_context's");
    Socket out(*ex);
    error_code ec;
    const auto protocol = socket.local_endpoint(ec).protocol();
    if (ec) return out; // already closed: the session ends at once
    const auto handle = socket.release(ec);
    if (!ec) out.assign(protocol, handle, ec);
    return out;
}

// The allocator for the waits an idle connection keeps pending (readable, keep-alive). Asio's default
// recycles a thread's freed blocks for the next operation of any size, and a wait that lasts minutes would
// keep the larger block it happened to inherit (HTTP parsing leaves plenty).
std::allocator<void> exact_size() {
    return {};
}

// Keep-alive ping payloads: unpredictable, so that a client cannot answer a ping it never read.
std::uint64_t next_ping_token() {
    thread_local std::mt19937_64 gen{std::random_device{}()};
    return gen();
}

std::string_view token_bytes(const std::uint64_t& token) {
    return {reinterpret_cast<const char*>(&token), sizeof token};
}

} // namespace

std::shared_ptr<ws_session> ws_session::create(tcp::socket socket, ws_options opts, logger log) {
    return std::make_shared<ws_session>(private_tag{}, std::move(socket), opts, std::move(log));
}

ws_session::ws_session(private_tag, tcp::socket socket, ws_options opts, logger log)
    : socket_(adopt<socket_type>(std::move(socket))), timer_(socket_.get_executor()),
      flusher_(asio::use_service<ws_flush_scheduler>(socket_.get_executor().context())), log_(std::move(log)),
      opts_(opts), parser_(opts.max_incoming_message, static_cast<bool>(opts.on_message)) {}

ws_session::~ws_session() {
    count_end();
}

void ws_session::count_end() noexcept {
    if (!counted_open_) return;
    counted_open_ = false;
    open_sockets.sub();
    closes_total.with({close_label(close_code_ != 0 ? close_code_ : 1006)}).inc();
}

std::size_t ws_session::queued() const noexcept {
    std::size_t n = queue_.size();
    if (close_queued_) --n;
    if ((offset_ > 0 || handshake_pending_) && n > 0) --n;
    return n;
}

void ws_session::start(http_request req, open_handler on_open, end_handler on_end) {
    on_end.swap(done_); // not assigned: Asio 1.81's move assignment re-wraps its operand, endlessly
    auto reply = answer_ws_upgrade(req);
    req = http_request(); // the request's headers are of no further use; free them now
    error_code ec;
    socket_.non_blocking(true, ec); // reads and writes are attempts that never wait
    if (ec) return end("handshake", ec);
    // The answer is written like a frame, by the writer: a 101 goes out together with the first frames.
    queue_.push_back(std::make_shared<const std::string>(std::move(reply.bytes)));
    started_ = true;
    if (!reply.accepted) {
        // Once the refusal is out, the connection ends (see on_close_written).
        refused_ = true;
        close_queued_ = true;
        phase_ = phase::closing;
        arm_close_deadline();
        return flush();
    }
    handshake_pending_ = true;
    phase_ = phase::open;
    counted_open_ = true;
    open_sockets.add();
    arm_timer(std::chrono::milliseconds(opts_.idle_timeout) / 2);
    if (log_.enabled(log_level::debug)) log_.debug("ws_open", {{"remote", remote()}});
    if (on_open) {
        try {
            on_open(shared_from_this());
        } catch (...) {
            end("on_open failed", {});
            throw;
        }
    }
    start_reading();
    schedule_flush();
}

asio::awaitable<void> ws_session::run(http_request req, open_handler on_open) {
    std::exception_ptr failure;
    auto init = [&](auto handler) {
        try {
            start(std::move(req), std::move(on_open), end_handler(std::move(handler)));
        } catch (...) {
            failure = std::current_exception(); // the handler still runs: start() ended the session
        }
    };
    co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(init, asio::use_awaitable);
    if (failure) std::rethrow_exception(failure);
}

bool ws_session::send(ws_frame frame) {
    if (phase_ >= phase::draining) return false;
    if (queued() >= opts_.max_queued) {
        // The client cannot keep up. Waiting would stall the hub and every other subscriber, and
        // buffering more would grow without bound; it reconnects and replays from the database instead.
        log_.info("ws_too_slow", {{"remote", remote()}, {"queued", queued()}});
        const websocket::close_reason reason(websocket::close_code::try_again_later,
                                             "too slow; reconnect to catch up");
        begin_close(reason, phase::closing);
        return false;
    }
    queue_.push_back(std::move(frame));
    schedule_flush();
    return true;
}

void ws_session::close_after_queue(websocket::close_reason reason) {
    begin_close(reason, phase::draining);
}

void ws_session::close_now(websocket::close_reason reason) {
    begin_close(reason, phase::closing);
}

void ws_session::begin_close(const websocket::close_reason& reason, phase next) {
    // Once the close frame is out, or a hard close is already decided, the first reason stands.
    if (phase_ == phase::closed || phase_ == phase::closing || close_sent_) return;
    if (next == phase::draining && phase_ == phase::draining) return;
    // A part-written frame must be finished, or the client would read the close frame as its tail; the
    // 101 answer must go out before any frame.
    const std::size_t keep = offset_ > 0 || handshake_pending_ ? 1 : 0;
    if (close_queued_ && queue_.size() <= keep) return; // the drain's close frame is already going out
    const std::size_t dropped = next == phase::closing ? queued() : 0;
    log_.debug(
        "ws_closing",
        {{"code", static_cast<int>(reason.code)}, {"drain", next == phase::draining}, {"dropped", dropped}});
    if (next == phase::closing) queue_.truncate(keep); // drops a pending drain's close frame too
    if (close_code_ == 0) close_code_ = reason.code != 0 ? static_cast<std::uint16_t>(reason.code) : 1005;
    queue_.push_back(make_close_frame(reason));
    close_queued_ = true;
    phase_ = next;
    arm_close_deadline();
    schedule_flush();
}

void ws_session::start_reading() {
    // Bytes may have arrived before anyone waited (the reactor reports only new arrivals): read first.
    reading_ = true;
    on_readable({});
}

void ws_session::on_readable(const error_code& wait_ec) {
    reading_ = false;
    if (phase_ == phase::closed) return maybe_complete();
    if (wait_ec) return end("read", wait_ec);
    static thread_local std::array<char, scratch_size> scratch;
    for (int round = 0;; ++round) {
        if (round == max_rounds) {
            // A chatty client: come back after the others had their turn.
            reading_ = true;
            asio::post(socket_.get_executor(), [self = shared_from_this()] { self->on_readable({}); });
            return;
        }
        error_code ec;
        const std::size_t n = socket_.read_some(asio::buffer(scratch), ec);
        if (would_block(ec)) break;
        if (ec) return end("read", ec);
        if (!handle_input(std::string_view(scratch.data(), n))) return;
        if (phase_ == phase::closed) return maybe_complete();
    }
    reading_ = true;
    auto on_wait = [self = shared_from_this()](error_code ec) { self->on_readable(ec); };
    socket_.async_wait(socket_type::wait_read, asio::bind_allocator(exact_size(), std::move(on_wait)));
}

bool ws_session::handle_input(std::string_view in) {
    // After a protocol error the client's bytes mean nothing; the reader only waits for it to go.
    while (!failed_ && !in.empty()) {
        const ws_client_event e = parser_.next(in);
        switch (e.what) {
        case ws_client_event::kind::none:
            break;
        case ws_client_event::kind::pong:
            if (ping_sent_ && e.payload == token_bytes(ping_token_)) answered_ = true;
            break;
        case ws_client_event::kind::ping:
            answer_ping(e.payload);
            break;
        case ws_client_event::kind::close: {
            peer_closed_ = true;
            if (close_sent_) {
                // The answer to our close: the closing handshake is complete and the server, as RFC 6455
                // wants, closes the TCP connection first.
                end("closed by server", {});
                return false;
            }
            note_end("closed by client", {});
            if (close_code_ == 0) close_code_ = e.code != 0 ? static_cast<std::uint16_t>(e.code) : 1005;
            // Echo the client's code once the bytes in flight are written.
            websocket::close_reason echo;
            if (e.code != 0) echo = websocket::close_reason(e.code);
            begin_close(echo, phase::closing);
            break;
        }
        case ws_client_event::kind::message:
            if (opts_.on_message && !closing()) opts_.on_message(e.payload);
            break;
        case ws_client_event::kind::error:
            failed_ = true;
            note_end(e.code == websocket::close_code::too_big ? "message too big" : "protocol error", {});
            begin_close(websocket::close_reason(static_cast<websocket::close_code>(e.code)), phase::closing);
            break;
        }
    }
    return true;
}

void ws_session::answer_ping(std::string_view payload) {
    if (close_queued_) return; // the close frame is the last frame we send
    // The pending pong is queued and not yet being written (a part-written frame must stay as it is):
    // it answers this ping instead. Frames are only read between writes, on this thread.
    const bool in_flight = offset_ > 0 && !queue_.empty() && queue_[0].get() == pong_.get();
    if (pong_ && pong_.use_count() > 1 && !in_flight) {
        encode_pong(payload);
        return;
    }
    if (!pong_ || pong_.use_count() > 1) pong_ = std::make_shared<std::string>(); // else: reuse, written
    encode_pong(payload);
    queue_.push_back(pong_);
    schedule_flush();
}

void ws_session::encode_pong(std::string_view payload) {
    pong_->clear();
    append_ws_header(*pong_, ws_opcode::pong, payload.size());
    pong_->append(payload);
}

void ws_session::schedule_flush() {
    // Deferred, so that every frame queued by the current handler (a whole batch from the hub) goes out
    // in the same write, and so do frames queued by later handlers that run before this session's turn.
    if (!started_ || flush_posted_ || write_waiting_ || phase_ == phase::closed || queue_.empty()) return;
    flush_posted_ = true;
    flusher_.schedule(shared_from_this());
}

void ws_session::scheduled_flush() {
    flush_posted_ = false;
    flush();
}

void ws_session::flush() {
    if (phase_ == phase::closed) return maybe_complete();
    if (write_waiting_) return;
    for (int round = 0; !queue_.empty(); ++round) {
        if (round == max_rounds) return schedule_flush(); // a long backlog: let the others write too
        std::array<asio::const_buffer, max_gather_frames> buffers;
        std::size_t bytes = 0;
        const std::size_t n = queue_.gather(offset_, buffers, max_gather_bytes, bytes);
        error_code ec;
        const std::size_t written =
            socket_.write_some(std::span<const asio::const_buffer>(buffers.data(), n), ec);
        if (would_block(ec)) {
            // The kernel's buffer is full: write again once the client has read some of it.
            write_waiting_ = true;
            socket_.async_wait(socket_type::wait_write, [self = shared_from_this()](error_code ec) {
                self->write_waiting_ = false;
                if (self->phase_ == phase::closed) return self->maybe_complete();
                if (ec) return self->end("write", ec);
                self->flush();
            });
            return;
        }
        if (ec) return end("write", ec);
        if (handshake_pending_ && written >= queue_[0]->size() - offset_) handshake_pending_ = false;
        offset_ = queue_.consume(offset_, written);
        if (close_queued_ && queue_.empty()) return on_close_written();
    }
}

void ws_session::on_close_written() {
    close_queued_ = false;
    close_sent_ = true;
    error_code ec;
    if (refused_) return end("handshake refused", ec);
    note_end("closed by server", {});
    if (peer_closed_) return end("closed", ec); // our close answered the client's
    // After a protocol error nothing the client says matters: end our side, the client closes its own.
    if (failed_) socket_.shutdown(socket_type::shutdown_send, ec);
    // Otherwise the reader waits for the client's answer. Closing now would reset a connection whose
    // answer is unread, and a browser whose connection is reset may never see our close code (it reports
    // 1006 instead of, say, 1012, and then does not know to reconnect). The close deadline bounds the wait.
}

void ws_session::arm_timer(std::chrono::steady_clock::duration after) {
    timer_.expires_after(after); // cancels the previous wait, whose handler then sees an old generation
    const std::uint32_t generation = ++timer_generation_;
    auto on_wait = [self = shared_from_this(), generation](const error_code& ec) {
        self->on_timer(ec, generation);
    };
    timer_.async_wait(asio::bind_allocator(exact_size(), std::move(on_wait)));
}

void ws_session::arm_close_deadline() {
    if (deadline_armed_) return;
    deadline_armed_ = true;
    arm_timer(opts_.handshake_timeout);
}

void ws_session::on_timer(const error_code& ec, std::uint32_t generation) {
    if (ec || generation != timer_generation_ || phase_ == phase::closed) return;
    if (deadline_armed_) {
        // The client stopped reading: neither the bytes in flight nor the close frame can get through.
        return end("close deadline", {});
    }
    // The previous ping was not answered: the client is gone or does not read what we write.
    if (ping_sent_ && !answered_) return end("idle timeout", {});
    ping_sent_ = true;
    answered_ = false;
    ping_token_ = next_ping_token();
    queue_.push_back(
        std::make_shared<const std::string>(encode_ws_frame(ws_opcode::ping, token_bytes(ping_token_))));
    schedule_flush();
    arm_timer(std::chrono::milliseconds(opts_.idle_timeout) / 2);
}

void ws_session::end(const char* where, const error_code& ec) {
    if (phase_ == phase::closed) return;
    note_end(where, ec);
    phase_ = phase::closed;
    queue_.clear();
    pong_.reset();
    offset_ = 0;
    close_queued_ = false;
    close_socket(); // completes the pending waits, whose handlers then let run() complete
    timer_.cancel();
    log_.debug("ws_closed", {{"why", end_}});
    count_end();
    maybe_complete();
}

void ws_session::note_end(const char* where, const error_code& ec) {
    if (!end_.empty()) return;
    end_ = where;
    if (ec) end_.append(": ").append(ec.message());
}

void ws_session::close_socket() noexcept {
    error_code ec;
    socket_.close(ec);
}

void ws_session::maybe_complete() {
    if (phase_ != phase::closed || reading_ || write_waiting_ || flush_posted_ || !done_) return;
    asio::post(socket_.get_executor(), [done = std::move(done_)]() mutable { std::move(done)(); });
}

std::string ws_session::remote() const {
    error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    return ec ? std::string() : ep.address().to_string();
}

} // namespace eelchat::net
