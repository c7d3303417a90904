// The websocket session seen byte by byte: a raw TCP client (no websocket library between it and the
// wire) checks what the gather writer puts on the socket (whole frames, in order, several per write),
// the pong for a ping, the close handshake, and the 1013 close of a client that stopped reading.
#include "net/ws_session.hpp"

#include "support/async.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <set>
#include <string>

using namespace eelchat;
using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using session_ptr = std::shared_ptr<net::ws_session>;

namespace {

std::string payload(std::size_t i, std::size_t size) {
    char head[32];
    std::snprintf(head, sizeof head, "frame %06zu ", i);
    std::string s(head);
    while (s.size() < size)
        s.push_back(static_cast<char>('a' + (i + s.size()) % 26));
    s.resize(size);
    return s;
}

// Accepts one connection, reads its upgrade request and runs a session on it until run() completes.
asio::awaitable<void> serve_one(tcp::acceptor& acceptor, net::ws_options opts,
                                std::function<void(session_ptr)> on_open, session_ptr& out,
                                std::size_t send_buffer = 0) {
    auto socket = co_await acceptor.async_accept(asio::use_awaitable);
    if (send_buffer) socket.set_option(asio::socket_base::send_buffer_size(static_cast<int>(send_buffer)));
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    net::http_request req;
    stream.expires_after(5s);
    co_await beast::http::async_read(stream, buffer, req, asio::use_awaitable);
    out = net::ws_session::create(stream.release_socket(), opts, logger::null());
    co_await out->run(std::move(req), std::move(on_open));
}

struct frame {
    int opcode = 0;
    std::string payload;
};

// A websocket client written against RFC 6455 directly: masks what it sends, parses what it reads.
class raw_client {
public:
    explicit raw_client(asio::any_io_executor ex) : socket_(ex) {}

    asio::awaitable<void> connect(std::uint16_t port, std::size_t receive_buffer = 0) {
        socket_.open(tcp::v4());
        if (receive_buffer)
            socket_.set_option(asio::socket_base::receive_buffer_size(static_cast<int>(receive_buffer)));
        const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
        co_await socket_.async_connect(ep, asio::use_awaitable);
        const std::string request = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                    "Sec-WebSocket-Version: 13\r\n\r\n";
        co_await asio::async_write(socket_, asio::buffer(request), asio::use_awaitable);
        std::size_t end;
        while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
            co_await read_more();
        response_ = buf_.substr(0, end + 4);
        buf_.erase(0, end + 4);
    }

    const std::string& response() const { return response_; }

    // The next frame; opcode -1 when the server closed the connection instead.
    asio::awaitable<frame> read_frame() {
        for (;;) {
            if (buf_.size() >= 2) {
                std::size_t len = std::uint8_t(buf_[1]) & 0x7f, header = 2;
                if (len == 126 && buf_.size() >= 4) {
                    len = (std::size_t(std::uint8_t(buf_[2])) << 8) | std::uint8_t(buf_[3]);
                    header = 4;
                } else if (len == 127 && buf_.size() >= 10) {
                    len = 0;
                    for (int i = 0; i < 8; ++i)
                        len = (len << 8) | std::uint8_t(buf_[2 + i]);
                    header = 10;
                }
                if (len < 126 || header > 2) {
                    if ((std::uint8_t(buf_[1]) & 0x80) != 0) FAIL("the server masked a frame");
                    if (buf_.size() >= header + len) {
                        frame f{std::uint8_t(buf_[0]) & 0x0f, buf_.substr(header, len)};
                        CHECK((std::uint8_t(buf_[0]) & 0x80) != 0); // never fragmented
                        buf_.erase(0, header + len);
                        co_return f;
                    }
                }
            }
            const bool more = co_await read_more();
            if (!more) {
                frame closed;
                closed.opcode = -1;
                co_return closed;
            }
        }
    }

    asio::awaitable<void> send(int opcode, std::string data) {
        std::string f;
        f.push_back(static_cast<char>(0x80 | opcode));
        f.push_back(static_cast<char>(0x80 | data.size())); // small frames only
        const char key[4] = {0x0f, 0x1e, 0x2d, 0x3c};
        f.append(key, 4);
        for (std::size_t i = 0; i < data.size(); ++i)
            f.push_back(static_cast<char>(data[i] ^ key[i % 4]));
        co_await asio::async_write(socket_, asio::buffer(f), asio::use_awaitable);
    }

private:
    asio::awaitable<bool> read_more() {
        char chunk[65536];
        boost::system::error_code ec;
        const std::size_t n = co_await socket_.async_read_some(asio::buffer(chunk),
                                                               asio::redirect_error(asio::use_awaitable, ec));
        buf_.append(chunk, n);
        co_return !ec;
    }

    tcp::socket socket_;
    std::string buf_, response_;
};

std::uint16_t close_code_of(const frame& f) {
    return f.payload.size() >= 2
               ? std::uint16_t((std::uint8_t(f.payload[0]) << 8) | std::uint8_t(f.payload[1]))
               : 0;
}

asio::awaitable<void> orderly_client(std::uint16_t port, std::size_t frames) {
    raw_client c(co_await asio::this_coro::executor);
    co_await c.connect(port);
    CHECK(c.response().starts_with("HTTP/1.1 101 "));
    CHECK(c.response().find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") != std::string::npos);
    for (std::size_t i = 0; i < frames; ++i) {
        auto f = co_await c.read_frame();
        REQUIRE(f.opcode == 1);
        CHECK(f.payload == payload(i, i % 3 == 0 ? 70000 : 100 + i));
    }
    co_await c.send(0x9, "are you there");
    auto pong = co_await c.read_frame();
    CHECK(pong.opcode == 0xa);
    CHECK(pong.payload == "are you there");
    co_await c.send(0x8, std::string("\x03\xe8"
                                     "done",
                                     6));
    auto echo = co_await c.read_frame();
    CHECK(echo.opcode == 0x8);
    CHECK(close_code_of(echo) == 1000);
    auto end = co_await c.read_frame(); // then the server closes the TCP connection first
    CHECK(end.opcode == -1);
}

} // namespace

TEST_CASE("ws_session: frames queued together reach the wire whole and in order, and pings get pongs",
          "[ws][unit]") {
    asio::io_context ctx;
    tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto port = acceptor.local_endpoint().port();
    constexpr std::size_t frames = 12;
    session_ptr session;
    auto on_open = [](session_ptr s) {
        // All queued by one handler: they leave with the 101 answer in gather writes, the 70,000-byte
        // ones (64-bit lengths) over several.
        for (std::size_t i = 0; i < frames; ++i)
            CHECK(s->send(net::make_text_frame(payload(i, i % 3 == 0 ? 70000 : 100 + i))));
    };
    const net::ws_options defaults;
    test::run_async(ctx, serve_one(acceptor, defaults, on_open, session) && orderly_client(port, frames), 5s);
    REQUIRE(session);
    CHECK(session->closing());
    CHECK(session->queued() == 0);
}

TEST_CASE("ws_session: a client that stops reading gets the written frames intact, then 1013", "[ws][unit]") {
    asio::io_context ctx;
    tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto port = acceptor.local_endpoint().port();
    net::ws_options opts;
    opts.max_queued = 32;
    opts.handshake_timeout = 5s;
    session_ptr session;
    std::size_t accepted = 0;

    auto client = [](std::uint16_t port, session_ptr& session,
                     std::size_t& accepted) -> asio::awaitable<void> {
        const auto ex = co_await asio::this_coro::executor;
        raw_client c(ex);
        co_await c.connect(port, 16 * 1024);
        while (!session)
            co_await asio::post(ex, asio::use_awaitable);
        // Reads nothing while the server floods it, until its queue is full.
        for (;; ++accepted) {
            if (!session->send(net::make_text_frame(payload(accepted, 3000)))) break;
            REQUIRE(accepted < 20000);
            co_await asio::post(ex, asio::use_awaitable); // let the writer fill the kernel buffers
        }
        CHECK(session->queued() == 0);
        std::size_t n = 0;
        frame f;
        for (;; ++n) {
            f = co_await c.read_frame();
            if (f.opcode != 1) break;
            CHECK(f.payload == payload(n, 3000)); // a prefix of what was sent, none torn or reordered
        }
        CHECK(n > 0);
        CHECK(n < accepted);
        REQUIRE(f.opcode == 0x8);
        CHECK(close_code_of(f) == 1013);
        CHECK(f.payload.substr(2) == "too slow; reconnect to catch up");
        co_await c.send(0x8, std::string("\x03\xf5", 2));
        auto end = co_await c.read_frame();
        CHECK(end.opcode == -1);
    };
    test::run_async(ctx, serve_one(acceptor, opts, {}, session, 8 * 1024) && client(port, session, accepted),
                    10s);
    CHECK(accepted >= opts.max_queued);
}

TEST_CASE("ws_session: a ping flood from a client that never reads queues one pong, and the client is closed "
          "within the idle timeout whatever it keeps sending",
          "[ws][unit]") {
    asio::io_context ctx;
    tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto port = acceptor.local_endpoint().port();
    net::ws_options opts;
    opts.idle_timeout = 2s;
    opts.handshake_timeout = 1s;
    session_ptr session;
    std::size_t most_queued = 0;
    bool ended = false;

    auto client = [](std::uint16_t port, session_ptr& session, std::size_t& most_queued,
                     bool& ended) -> asio::awaitable<void> {
        const auto ex = co_await asio::this_coro::executor;
        raw_client c(ex);
        co_await c.connect(port, 4 * 1024);
        while (!session)
            co_await asio::post(ex, asio::use_awaitable);
        const std::string ping(125, 'p');
        for (int i = 0; i < 3000; ++i) {
            co_await c.send(0x9, ping);
            co_await asio::post(ex, asio::use_awaitable); // the server reads it
            most_queued = std::max(most_queued, session->queued());
        }
        // Then a trickle that reads nothing: an unsolicited pong and a ping every 100 ms.
        asio::steady_timer t(ex);
        while (!ended) {
            t.expires_after(100ms);
            co_await t.async_wait(asio::use_awaitable);
            if (ended) break;
            try {
                co_await c.send(0xa, "alive");
                co_await c.send(0x9, "x");
            } catch (const boost::system::system_error&) {
                break; // the server closed the connection
            }
        }
    };
    auto serve = [](tcp::acceptor& acceptor, net::ws_options opts, session_ptr& session,
                    bool& ended) -> asio::awaitable<void> {
        co_await serve_one(acceptor, opts, {}, session, 8 * 1024);
        ended = true;
    };
    // The session must end by itself (idle timeout): run_async fails the test if it is still open at 15 s.
    test::run_async(ctx, serve(acceptor, opts, session, ended) && client(port, session, most_queued, ended),
                    15s);
    CHECK(ended);
    CHECK(most_queued <= 2);
}

TEST_CASE("ws_session: a client that answers the keep-alive pings stays open past several idle timeouts",
          "[ws][unit]") {
    asio::io_context ctx;
    tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto port = acceptor.local_endpoint().port();
    net::ws_options opts;
    opts.idle_timeout = 1s;
    session_ptr session;

    auto client = [](std::uint16_t port) -> asio::awaitable<void> {
        raw_client c(co_await asio::this_coro::executor);
        co_await c.connect(port);
        std::set<std::string> tokens;
        for (int pings = 0; pings < 6;) { // three idle timeouts
            auto f = co_await c.read_frame();
            REQUIRE(f.opcode == 0x9);
            CHECK(f.payload.size() == 8);
            tokens.insert(f.payload);
            co_await c.send(0xa, f.payload);
            ++pings;
        }
        CHECK(tokens.size() == 6); // a fresh payload each time
        co_await c.send(0x8, std::string("\x03\xe8", 2));
        auto echo = co_await c.read_frame();
        CHECK(echo.opcode == 0x8);
        CHECK(close_code_of(echo) == 1000);
    };
    test::run_async(ctx, serve_one(acceptor, opts, {}, session) && client(port), 15s);
}

TEST_CASE("ws_session: a close decided in on_open goes out right after the 101 answer", "[ws][unit]") {
    asio::io_context ctx;
    tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto port = acceptor.local_endpoint().port();
    session_ptr session;
    auto on_open = [](session_ptr s) {
        s->close_now(websocket::close_reason(websocket::close_code::policy_error, "too many"));
    };
    auto client = [](std::uint16_t port) -> asio::awaitable<void> {
        raw_client c(co_await asio::this_coro::executor);
        co_await c.connect(port);
        CHECK(c.response().starts_with("HTTP/1.1 101 "));
        auto f = co_await c.read_frame();
        REQUIRE(f.opcode == 0x8);
        CHECK(close_code_of(f) == 1008);
        CHECK(f.payload.substr(2) == "too many");
        co_await c.send(0x8, std::string("\x03\xf0", 2));
        auto last = co_await c.read_frame(); // then the server closes the connection
        CHECK(last.opcode == -1);
    };
    test::run_async(ctx, serve_one(acceptor, net::ws_options{}, on_open, session) && client(port), 5s);
}
