// The websocket session over real sockets on 127.0.0.1: a small server (accept, read the upgrade request,
// run the session) and Beast clients, all on one io_context, as on one worker thread.
#include "net/ws_session.hpp"

#include "support/async.hpp"
#include "support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace eelchat;
using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using session_ptr = std::shared_ptr<net::ws_session>;

namespace {

// Frame `i`, padded to `size` bytes with a pattern that depends on i, so a torn or reordered frame shows.
std::string frame_text(std::size_t i, std::size_t size = 32) {
    char head[32];
    std::snprintf(head, sizeof head, "frame %06zu ", i);
    std::string s(head);
    while (s.size() < size)
        s.push_back(static_cast<char>('a' + (i + s.size()) % 26));
    s.resize(size);
    return s;
}

net::ws_frame frame(std::size_t i, std::size_t size = 32) { return net::make_text_frame(frame_text(i, size)); }

// An async condition: waiters re-check their predicate each time notify() is called. Single-threaded,
// so a notify() between the check and the wait cannot be lost.
class notifier {
public:
    explicit notifier(asio::any_io_executor ex) : timer_(ex, asio::steady_timer::time_point::max()) {}
    void notify() { timer_.cancel(); }
    asio::awaitable<void> wait_until(std::function<bool()> ready) {
        while (!ready()) {
            boost::system::error_code ec;
            co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
    }

private:
    asio::steady_timer timer_;
};

// The HTTP layer's part, reduced: accept, read the upgrade request, hand the stream to a session.
class test_server {
public:
    explicit test_server(asio::io_context& ctx)
        : acceptor_(ctx, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

    // Serves one connection; completes when its session's run() completed. Every opened session is
    // appended to `opened` (in opening order) and `opened_signal` is notified.
    asio::awaitable<void> serve_one(net::ws_options opts, logger log, std::vector<session_ptr>& opened,
                                    notifier& opened_signal, std::function<void(session_ptr)> on_open = {}) {
        auto socket = co_await acceptor_.async_accept(asio::use_awaitable);
        beast::tcp_stream stream(std::move(socket));
        beast::flat_buffer buffer;
        http::request<http::string_body> req;
        stream.expires_after(5s);
        co_await http::async_read(stream, buffer, req, asio::use_awaitable);
        auto session = net::ws_session::create(stream.release_socket(), opts, std::move(log));
        net::ws_session::open_handler open = [&opened, &opened_signal,
                                              on_open = std::move(on_open)](session_ptr s) {
            opened.push_back(s);
            if (on_open) on_open(s);
            opened_signal.notify();
        };
        co_await session->run(std::move(req), std::move(open));
    }

private:
    asio::ip::tcp::acceptor acceptor_;
};

net::ws_options quick_options() {
    net::ws_options o;
    o.handshake_timeout = 5s;
    o.idle_timeout = 60s; // longer than any test: a session that ends did not end by idling
    return o;
}

// Everything a test shares between its server side and its client side; outlives the coroutines.
struct fixture {
    asio::io_context ctx;
    std::vector<std::string> log_lines; // everything the sessions logged, debug included; outlives them
    logger log{log_level::debug, [this](std::string_view line) { log_lines.emplace_back(line); }};
    test_server server{ctx};
    std::vector<session_ptr> opened;
    notifier opened_signal{ctx.get_executor()};

    asio::awaitable<void> serve(net::ws_options opts, std::function<void(session_ptr)> on_open = {}) {
        return server.serve_one(opts, log, opened, opened_signal, std::move(on_open));
    }
    // How many log lines contain every one of `parts`.
    std::size_t logged(std::initializer_list<std::string_view> parts) const {
        return std::count_if(log_lines.begin(), log_lines.end(), [&](const std::string& line) {
            return std::all_of(parts.begin(), parts.end(),
                               [&](std::string_view p) { return line.find(p) != std::string::npos; });
        });
    }
    asio::awaitable<void> wait_opened(std::size_t n) {
        std::function<bool()> ready = [this, n] { return opened.size() >= n; };
        return opened_signal.wait_until(std::move(ready));
    }
};

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// --- client sides -------------------------------------------------------------------------------------

asio::awaitable<void> read_in_order(std::uint16_t port, std::size_t n) {
    test::ws_client c(co_await asio::this_coro::executor);
    co_await c.connect(port);
    CHECK(c.handshake_response()[http::field::server] == "eelchat");
    for (std::size_t i = 0; i < n; ++i) {
        auto r = co_await c.read_text();
        REQUIRE(r.has_value());
        CHECK(*r == frame_text(i, 100 + i * 37));
    }
    co_await c.close();
    CHECK(c.close_code() == websocket::close_code::normal);
}

asio::awaitable<void> three_readers(fixture& f, net::ws_frame& shared) {
    const auto ex = co_await asio::this_coro::executor;
    test::ws_client a(ex), b(ex), c(ex);
    co_await a.connect(f.server.port());
    co_await b.connect(f.server.port());
    co_await c.connect(f.server.port());
    co_await f.wait_opened(3);
    shared = frame(7, 2000);
    for (auto& s : f.opened)
        CHECK(s->send(shared));
    // Queued, not copied: the three sessions hold the very buffer the hub rendered.
    CHECK(shared.use_count() == 4);
    test::ws_client* clients[] = {&a, &b, &c};
    for (auto* client : clients) {
        auto r = co_await client->read_text();
        REQUIRE(r.has_value());
        CHECK(*r == frame_text(7, 2000));
    }
    co_await a.close();
    co_await b.close();
    co_await c.close();
}

// Reads frames until the connection ends; returns how many arrived, checking each is the next in order.
asio::awaitable<std::size_t> read_until_closed(test::ws_client& c, std::size_t frame_size,
                                               std::size_t* progress = nullptr,
                                               notifier* progressed = nullptr) {
    std::size_t n = 0, bad = 0;
    for (;;) {
        auto r = co_await c.read_text();
        if (!r.has_value()) {
            CHECK(r.error() == websocket::error::closed);
            break;
        }
        if (*r != frame_text(n, frame_size)) ++bad;
        ++n;
        if (progress) *progress = n;
        if (progressed) progressed->notify();
    }
    CHECK(bad == 0);
    co_return n;
}

// --- one fast and one slow subscriber ------------------------------------------------------------------

constexpr std::size_t big_frame = 4096;

struct fan_out {
    explicit fan_out(asio::any_io_executor ex) : progressed(ex) {}
    std::size_t produced = 0, fast_received = 0, dropped_at = 0;
    bool slow_dropped = false;
    notifier progressed; // notified on every frame the fast client receives and when the slow one is dropped
};

// The hub: each frame to both sessions, never waiting for a client. Its pace follows the fast client only
// (a real hub's pace is set by the people typing), so the fast session never overflows.
asio::awaitable<void> hub(net::ws_session& fast, net::ws_session& slow, fan_out& st) {
    const std::function<bool()> fast_caught_up = [&st] { return st.produced - st.fast_received <= 16; };
    for (std::size_t i = 0;; ++i) {
        auto fr = frame(i, big_frame);
        CHECK(fast.send(fr));
        if (!st.slow_dropped && !slow.send(fr)) {
            st.slow_dropped = true;
            st.dropped_at = i;
            CHECK(slow.closing());
            CHECK(slow.queued() == 0);
            st.progressed.notify();
        }
        st.produced = i + 1;
        if (st.slow_dropped && i >= st.dropped_at + 200) break;
        REQUIRE(i < 20000); // the kernel buffers hold a few MB at most
        co_await st.progressed.wait_until(fast_caught_up);
    }
    fast.close_after_queue(websocket::close_code::normal);
}

asio::awaitable<void> fast_reader(test::ws_client& c, fan_out& st) {
    auto n = co_await read_until_closed(c, big_frame, &st.fast_received, &st.progressed);
    CHECK(n == st.produced);
    CHECK(c.close_code() == websocket::close_code::normal);
}

// Reads nothing until its session gave up on it, then finds the frames that made it, in order, and the
// reason it was dropped.
asio::awaitable<void> slow_reader(test::ws_client& c, fan_out& st) {
    const std::function<bool()> dropped = [&st] { return st.slow_dropped; };
    co_await st.progressed.wait_until(dropped);
    auto n = co_await read_until_closed(c, big_frame);
    CHECK(n < st.dropped_at);
    CHECK(c.close_code() == websocket::close_code::try_again_later);
    CHECK(c.close_reason() == "too slow; reconnect to catch up");
}

asio::awaitable<void> fast_and_slow(fixture& f, fan_out& st) {
    const auto ex = co_await asio::this_coro::executor;
    test::ws_client fast(ex), slow(ex);
    co_await fast.connect(f.server.port());
    co_await f.wait_opened(1);
    co_await slow.connect(f.server.port());
    co_await f.wait_opened(2);
    auto& fast_session = *f.opened[0];
    auto& slow_session = *f.opened[1];
    co_await (hub(fast_session, slow_session, st) && fast_reader(fast, st) && slow_reader(slow, st));
}

} // namespace

TEST_CASE("ws_session: frames arrive in order and intact, after the handshake", "[ws][unit]") {
    fixture f;
    auto on_open = [](session_ptr s) {
        // on_open runs before the writer: catch-up frames sent here are the first the client sees.
        for (std::size_t i = 0; i < 50; ++i)
            CHECK(s->send(frame(i, 100 + i * 37)));
        CHECK(s->queued() == 50);
    };
    test::run_async(f.ctx, f.serve(quick_options(), on_open) && read_in_order(f.server.port(), 50), 5s);
    REQUIRE(f.opened.size() == 1);
    auto& s = *f.opened[0];
    CHECK(s.closing());
    CHECK_FALSE(s.send(frame(99)));
    CHECK(s.queued() == 0);
}

TEST_CASE("ws_session: one shared buffer reaches three sessions without copies", "[ws][unit]") {
    fixture f;
    net::ws_frame shared;
    auto serve3 = f.serve(quick_options()) && f.serve(quick_options()) && f.serve(quick_options());
    test::run_async(f.ctx, std::move(serve3) && three_readers(f, shared), 5s);
    REQUIRE(shared);
    CHECK(shared.use_count() == 1); // each session let go of it once written
}

TEST_CASE("ws_session: close_after_queue delivers the queued frames, then the close code", "[ws][unit]") {
    fixture f;
    auto on_open = [](session_ptr s) {
        for (std::size_t i = 0; i < 5; ++i)
            CHECK(s->send(frame(i)));
        const websocket::close_reason bye(websocket::close_code::normal, "bye");
        s->close_after_queue(bye);
        CHECK(s->closing());
        CHECK_FALSE(s->send(frame(5)));
    };
    auto client = [](std::uint16_t port) -> asio::awaitable<void> {
        test::ws_client c(co_await asio::this_coro::executor);
        co_await c.connect(port);
        for (std::size_t i = 0; i < 5; ++i) {
            auto r = co_await c.read_text();
            REQUIRE(r.has_value());
            CHECK(*r == frame_text(i));
        }
        auto end = co_await c.read_text();
        REQUIRE_FALSE(end.has_value());
        CHECK(end.error() == websocket::error::closed);
        CHECK(c.close_code() == websocket::close_code::normal);
        CHECK(c.close_reason() == "bye");
    };
    test::run_async(f.ctx, f.serve(quick_options(), on_open) && client(f.server.port()), 5s);
    REQUIRE(f.opened.size() == 1);
    CHECK_FALSE(f.opened[0]->send(frame(6)));
}

TEST_CASE("ws_session: close_now drops the queue and delivers its code (1012 on shutdown)", "[ws][unit]") {
    fixture f;
    auto client = [](fixture& f) -> asio::awaitable<void> {
        test::ws_client c(co_await asio::this_coro::executor);
        co_await c.connect(f.server.port());
        co_await f.wait_opened(1);
        auto& s = *f.opened[0];
        // One frame through first, so the close happens on a live, open connection.
        CHECK(s.send(frame(0)));
        auto first = co_await c.read_text();
        REQUIRE(first.has_value());
        for (std::size_t i = 1; i < 10; ++i)
            CHECK(s.send(frame(i)));
        s.close_now(websocket::close_code::service_restart);
        CHECK(s.queued() == 0);
        CHECK_FALSE(s.send(frame(10)));
        auto end = co_await c.read_text();
        REQUIRE_FALSE(end.has_value());
        CHECK(end.error() == websocket::error::closed);
        CHECK(c.close_code() == websocket::close_code::service_restart);
    };
    test::run_async(f.ctx, f.serve(quick_options()) && client(f), 5s);
}

TEST_CASE("ws_session: a slow client is closed with 1013 and never holds back a fast one", "[ws][unit]") {
    fixture f;
    auto opts = quick_options();
    opts.max_queued = 64;
    fan_out st(f.ctx.get_executor());
    test::run_async(f.ctx, f.serve(opts) && f.serve(opts) && fast_and_slow(f, st), 10s);
    CHECK(st.slow_dropped);
    CHECK(st.fast_received == st.produced);
    // Dropping a client is worth an info line, with how far behind it was.
    CHECK(f.logged({"level=info", "event=ws_too_slow", "queued=64"}) == 1);
    CHECK(f.logged({"level=info"}) == 1); // the rest is debug: connections end all the time
}

TEST_CASE("ws_session: a client that never reads is disconnected within the close deadline", "[ws][unit]") {
    constexpr std::size_t size = 4096;
    fixture f;
    auto opts = quick_options();
    opts.max_queued = 16;
    opts.handshake_timeout = 1s;
    test::ws_client c(f.ctx.get_executor()); // stays open, unread, until after the server is done
    std::chrono::steady_clock::time_point dropped;

    auto flood = [](fixture& f, test::ws_client& c,
                    std::chrono::steady_clock::time_point& dropped) -> asio::awaitable<void> {
        co_await c.connect(f.server.port());
        co_await f.wait_opened(1);
        auto& s = *f.opened[0];
        const auto ex = co_await asio::this_coro::executor;
        for (std::size_t i = 0;; ++i) {
            if (!s.send(frame(i, size))) break;
            REQUIRE(i < 20000);
            // Let the writer run, so the kernel buffers really fill and a write blocks.
            co_await asio::post(ex, asio::use_awaitable);
        }
        dropped = std::chrono::steady_clock::now();
    };
    test::run_async(f.ctx, f.serve(opts) && flood(f, c, dropped), 5s);
    // run() completed: the frame in flight could never finish and no close frame could get through,
    // so the deadline closed the socket, long before the 60 s idle timeout.
    CHECK(seconds_since(dropped) < 3.0);
    CHECK(f.opened[0]->closing());
}

TEST_CASE("ws_session: a client message over the limit closes with 1009", "[ws][unit]") {
    fixture f;
    auto opts = quick_options();
    opts.max_incoming_message = 1024;
    auto client = [](std::uint16_t port) -> asio::awaitable<void> {
        test::ws_client c(co_await asio::this_coro::executor);
        co_await c.connect(port);
        co_await c.write_text(std::string(100, 'x')); // small messages are read and ignored
        co_await c.write_text(std::string(2000, 'x'));
        auto end = co_await c.read_text();
        // The server fails the connection: its close frame arrives, then the socket closes without
        // waiting for the client's answer, so the read may end in a socket error rather than `closed`.
        REQUIRE_FALSE(end.has_value());
        CHECK(c.close_code() == websocket::close_code::too_big);
    };
    test::run_async(f.ctx, f.serve(opts) && client(f.server.port()), 5s);
    REQUIRE(f.opened.size() == 1);
    CHECK_FALSE(f.opened[0]->send(frame(0)));
}

TEST_CASE("ws_session: a client that vanishes ends run() promptly", "[ws][unit]") {
    fixture f;
    const auto start = std::chrono::steady_clock::now();
    auto client = [](fixture& f) -> asio::awaitable<void> {
        test::ws_client c(co_await asio::this_coro::executor);
        co_await c.connect(f.server.port());
        co_await f.wait_opened(1);
        CHECK(f.opened[0]->send(frame(0)));
        auto r = co_await c.read_text();
        REQUIRE(r.has_value());
        c.drop(); // no close frame: a killed tab or a lost network
    };
    test::run_async(f.ctx, f.serve(quick_options()) && client(f), 5s);
    CHECK(seconds_since(start) < 2.0); // not the 60 s idle timeout
    REQUIRE(f.opened.size() == 1);
    CHECK(f.opened[0]->closing());
    CHECK_FALSE(f.opened[0]->send(frame(1)));
}

TEST_CASE("ws_session: a failed handshake ends run() without opening", "[ws][unit]") {
    fixture f;
    // A plain GET is no upgrade: the session answers it with an error and run() completes.
    auto client = [](std::uint16_t port) -> asio::awaitable<void> {
        beast::tcp_stream stream(co_await asio::this_coro::executor);
        const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
        co_await stream.async_connect(ep, asio::use_awaitable);
        http::request<http::string_body> req(http::verb::get, "/ws", 11);
        req.set(http::field::host, "localhost");
        co_await http::async_write(stream, req, asio::use_awaitable);
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        boost::system::error_code ec;
        co_await http::async_read(stream, buffer, res, asio::redirect_error(asio::use_awaitable, ec));
        CHECK(res.result() == http::status::bad_request);
    };
    test::run_async(f.ctx, f.serve(quick_options()) && client(f.server.port()), 5s);
    CHECK(f.opened.empty());
}
