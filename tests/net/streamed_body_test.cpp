// Streamed request and response bodies over real sockets: an upload far beyond the server's body limit
// arrives piece by piece, a refusal is answered before the body is sent (or read), and a download is
// written from a source piece by piece.
#include "net/server.hpp"

#include "support/async.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <atomic>

using namespace eelchat;
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

struct observed {
    std::atomic<std::uint64_t> largest_piece{0};
    std::atomic<std::uint64_t> refused_after{~0ull}; // bytes read before the refusal
    std::atomic<bool> broken{false};
};

// A response body of `left` bytes of the repeating alphabet, in pieces of 100,000.
class alphabet_body final : public net::response_body {
public:
    explicit alphabet_body(std::size_t n) : left_(n) {}
    asio::awaitable<bool> next(std::string& piece) override {
        piece.clear();
        const std::size_t n = std::min<std::size_t>(left_, 100000);
        for (std::size_t i = 0; i < n; ++i)
            piece += static_cast<char>('a' + (sent_ + i) % 26);
        sent_ += n;
        left_ -= n;
        co_return true;
    }

private:
    std::size_t left_, sent_ = 0;
};

class streaming_handler : public net::http_handler {
public:
    explicit streaming_handler(observed& o) : o_(o) {}

    bool streams_body(const net::http_request_header& h) override {
        return h.target().starts_with("/upload");
    }

    asio::awaitable<net::http_response> handle(net::http_request& req, net::request_info& info) override {
        net::http_response res{http::status::ok, req.version()};
        if (req.target() == "/upload/refuse") {
            o_.refused_after = info.body->received();
            res.result(http::status::payload_too_large);
            res.body() = "too large";
        } else if (req.target() == "/upload") {
            std::uint64_t total = 0;
            std::uint64_t sum = 0;
            for (;;) {
                boost::system::error_code ec;
                auto piece = co_await info.body->read_some(ec);
                if (ec) {
                    o_.broken = true;
                    res.result(http::status::bad_request);
                    break;
                }
                if (piece.empty()) break;
                o_.largest_piece = std::max<std::uint64_t>(o_.largest_piece, piece.size());
                total += piece.size();
                for (unsigned char c : piece)
                    sum += c;
            }
            res.body() = std::to_string(total) + " " + std::to_string(sum);
        } else if (req.target() == "/download") {
            res.content_length(3'000'001);
            info.streamed_response = std::make_unique<alphabet_body>(3'000'001);
            co_return res;
        } else {
            res.body() = "whole " + std::to_string(req.body().size());
        }
        res.prepare_payload();
        co_return res;
    }

    net::http_response error_response(http::status status, unsigned version) override {
        net::http_response res{status, version};
        res.body() = "error " + std::to_string(static_cast<int>(status));
        res.prepare_payload();
        return res;
    }

private:
    observed& o_;
};

struct running_server {
    observed o;
    net::server srv;
    explicit running_server(net::server_limits limits)
        : srv(
              [&] {
                  net::server_options opts;
                  opts.port = 0;
                  opts.limits = limits;
                  return opts;
              }(),
              [this](asio::io_context&) { return std::make_unique<streaming_handler>(o); },
              logger(log_level::error, [](std::string_view) {})) {
        srv.start();
    }
    ~running_server() {
        srv.stop();
        srv.join(std::chrono::seconds(5));
    }
};

net::server_limits small_limits() {
    net::server_limits l;
    l.body_limit = 64 * 1024;
    l.read_timeout = std::chrono::milliseconds(2000);
    return l;
}

asio::awaitable<asio::ip::tcp::socket> connect(std::uint16_t port) {
    asio::ip::tcp::socket sock(co_await asio::this_coro::executor);
    const asio::ip::tcp::endpoint server(asio::ip::make_address("127.0.0.1"), port);
    co_await sock.async_connect(server, asio::use_awaitable);
    co_return sock;
}

// Reads one response head and its Content-Length body from `sock` (bytes after it stay in `buf`).
asio::awaitable<std::string> read_response(asio::ip::tcp::socket& sock, std::string& buf) {
    std::size_t end =
        co_await asio::async_read_until(sock, asio::dynamic_buffer(buf), "\r\n\r\n", asio::use_awaitable);
    std::string head = buf.substr(0, end);
    buf.erase(0, end);
    auto at = head.find("Content-Length: ");
    std::size_t length = at == std::string::npos ? 0 : std::stoul(head.substr(at + 16));
    if (buf.size() < length)
        co_await asio::async_read(sock, asio::dynamic_buffer(buf),
                                  asio::transfer_exactly(length - buf.size()), asio::use_awaitable);
    std::string out = head + buf.substr(0, length);
    buf.erase(0, length);
    co_return out;
}

std::string body_of(const std::string& response) {
    return response.substr(response.find("\r\n\r\n") + 4);
}

} // namespace

TEST_CASE("a streamed upload far beyond the body limit arrives whole in bounded pieces, and the connection "
          "stays usable",
          "[unit][server]") {
    running_server rs(small_limits());
    asio::io_context ctx;
    test::run_async(ctx, [&]() -> asio::awaitable<void> {
        auto sock = co_await connect(rs.srv.port());
        const std::size_t n = 5 * 1024 * 1024 + 17;
        std::string body(n, '\0');
        std::uint64_t sum = 0;
        for (std::size_t i = 0; i < n; ++i) {
            body[i] = static_cast<char>(i * 7);
            sum += static_cast<unsigned char>(body[i]);
        }
        std::string request =
            "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(n) + "\r\n\r\n";
        co_await asio::async_write(sock, asio::buffer(request), asio::use_awaitable);
        co_await asio::async_write(sock, asio::buffer(body), asio::use_awaitable);
        std::string buf;
        auto res = co_await read_response(sock, buf);
        CHECK(res.starts_with("HTTP/1.1 200"));
        CHECK(body_of(res) == std::to_string(n) + " " + std::to_string(sum));
        // The same connection serves the next request, a chunked upload this time.
        std::string chunked = "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        co_await asio::async_write(sock, asio::buffer(chunked), asio::use_awaitable);
        auto again = co_await read_response(sock, buf);
        CHECK(body_of(again) == "11 " + std::to_string(std::uint64_t{0} + 'h' + 'e' + 'l' + 'l' + 'o' + ' ' +
                                                       'w' + 'o' + 'r' + 'l' + 'd'));
    }());
    CHECK(rs.o.largest_piece <= 64 * 1024);
    CHECK_FALSE(rs.o.broken);
}

TEST_CASE("a refusal is answered before the body is sent, to a client that waits for 100 Continue",
          "[unit][server]") {
    running_server rs(small_limits());
    asio::io_context ctx;
    test::run_async(ctx, [&]() -> asio::awaitable<void> {
        auto sock = co_await connect(rs.srv.port());
        std::string request = "POST /upload/refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n"
                              "Expect: 100-continue\r\n\r\n";
        co_await asio::async_write(sock, asio::buffer(request), asio::use_awaitable);
        std::string buf;
        auto res = co_await read_response(sock, buf);
        CHECK(res.starts_with("HTTP/1.1 413"));
        CHECK(res.find("Connection: close") != std::string::npos);
        // Then the server closes: it never waits for the 100 MB.
        boost::system::error_code ec;
        co_await asio::async_read(sock, asio::dynamic_buffer(buf),
                                  asio::redirect_error(asio::use_awaitable, ec));
        CHECK(ec == asio::error::eof);
    }());
    CHECK(rs.o.refused_after == 0);
}

TEST_CASE("a refusal mid-send is read by the client, and the server reads only a little of the rest",
          "[unit][server]") {
    running_server rs(small_limits());
    asio::io_context ctx;
    test::run_async(ctx, [&]() -> asio::awaitable<void> {
        auto sock = co_await connect(rs.srv.port());
        std::string request = "POST /upload/refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n" +
                              std::string(1 << 20, 'x');
        co_await asio::async_write(sock, asio::buffer(request), asio::use_awaitable);
        std::string buf;
        auto res = co_await read_response(sock, buf);
        CHECK(res.starts_with("HTTP/1.1 413"));
        CHECK(body_of(res) == "too large");
    }());
    CHECK(rs.o.refused_after < 1024 * 1024);
}

TEST_CASE("a whole-body route still refuses a body over the limit from its Content-Length",
          "[unit][server]") {
    running_server rs(small_limits());
    asio::io_context ctx;
    test::run_async(ctx, [&]() -> asio::awaitable<void> {
        auto sock = co_await connect(rs.srv.port());
        std::string request = "POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n";
        co_await asio::async_write(sock, asio::buffer(request), asio::use_awaitable);
        std::string buf;
        auto res = co_await read_response(sock, buf);
        CHECK(res.starts_with("HTTP/1.1 413"));
        // A small body with Expect: 100-continue is asked for, then read whole.
        auto again = co_await connect(rs.srv.port());
        std::string small =
            "POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
        co_await asio::async_write(again, asio::buffer(small), asio::use_awaitable);
        std::string buf2;
        co_await asio::async_read_until(again, asio::dynamic_buffer(buf2), "\r\n\r\n", asio::use_awaitable);
        CHECK(buf2.starts_with("HTTP/1.1 100 Continue"));
        buf2.clear();
        co_await asio::async_write(again, asio::buffer(std::string_view("hello")), asio::use_awaitable);
        auto whole = co_await read_response(again, buf2);
        CHECK(body_of(whole) == "whole 5");
    }());
}

TEST_CASE("a streamed response is sent whole after its header, and HEAD gets the header only",
          "[unit][server]") {
    running_server rs(small_limits());
    asio::io_context ctx;
    test::run_async(ctx, [&]() -> asio::awaitable<void> {
        auto sock = co_await connect(rs.srv.port());
        std::string request =
            "GET /download HTTP/1.1\r\nHost: x\r\n\r\nHEAD /download HTTP/1.1\r\nHost: x\r\n\r\n";
        co_await asio::async_write(sock, asio::buffer(request), asio::use_awaitable);
        std::string buf;
        auto res = co_await read_response(sock, buf);
        auto body = body_of(res);
        REQUIRE(body.size() == 3'000'001);
        bool pattern = true;
        for (std::size_t i = 0; i < body.size() && pattern; ++i)
            pattern = body[i] == static_cast<char>('a' + i % 26);
        CHECK(pattern);
        std::size_t end =
            co_await asio::async_read_until(sock, asio::dynamic_buffer(buf), "\r\n\r\n", asio::use_awaitable);
        auto head = buf.substr(0, end);
        CHECK(head.find("Content-Length: 3000001") != std::string::npos);
        CHECK(buf.size() == end); // no body after the HEAD answer
    }());
}
