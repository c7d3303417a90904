// A small HTTP/1.1 client over real sockets for tests: one request per call, or several on one
// keep-alive connection.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace eelchat::test {

namespace http = boost::beast::http;
using response = http::response<http::string_body>;

struct request_spec {
    http::verb method = http::verb::get;
    std::string target = "/";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool keep_alive = true;
};

// A connection to 127.0.0.1:port that sends requests and reads their responses in order.
class http_connection {
public:
    explicit http_connection(boost::asio::any_io_executor ex) : stream_(ex) {}

    boost::asio::awaitable<void> connect(std::uint16_t port) {
        const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
        co_await stream_.async_connect(ep, boost::asio::use_awaitable);
    }

    // GCC 12 miscompiles braced temporaries inside a co_await expression (`co_await c.send({...})`
    // frees them twice), so coroutines call this with a named request_spec, or use the overload below.
    boost::asio::awaitable<response> send(request_spec spec) {
        http::request<http::string_body> req;
        req.method(spec.method);
        req.target(spec.target);
        req.version(11);
        req.set(http::field::host, "localhost");
        for (auto& [k, v] : spec.headers) req.set(k, v);
        req.body() = std::move(spec.body);
        req.keep_alive(spec.keep_alive);
        req.prepare_payload();
        stream_.expires_after(std::chrono::seconds(10));
        co_await http::async_write(stream_, req, boost::asio::use_awaitable);
        response res = co_await read(spec.method == http::verb::head);
        co_return res;
    }

    // Builds the spec outside the caller's co_await expression (see above).
    boost::asio::awaitable<response> send(http::verb method, std::string target, std::string body = {}) {
        request_spec spec;
        spec.method = method;
        spec.target = std::move(target);
        spec.body = std::move(body);
        return send(std::move(spec));
    }

    boost::asio::awaitable<response> read(bool head = false) {
        http::response_parser<http::string_body> parser;
        parser.skip(head);
        parser.body_limit(64 * 1024 * 1024);
        stream_.expires_after(std::chrono::seconds(10));
        co_await http::async_read(stream_, buffer_, parser, boost::asio::use_awaitable);
        response res = parser.release();
        co_return res;
    }

    // True once the server has closed the connection (reads EOF within the timeout).
    boost::asio::awaitable<bool> closed_by_peer() {
        boost::system::error_code ec;
        stream_.expires_after(std::chrono::seconds(10));
        char c;
        co_await stream_.async_read_some(boost::asio::buffer(&c, 1),
                                         boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        co_return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
    }

    boost::beast::tcp_stream& stream() { return stream_; }

private:
    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
};

// One request on a fresh connection.
inline boost::asio::awaitable<response> fetch(std::uint16_t port, request_spec spec) {
    http_connection c(co_await boost::asio::this_coro::executor);
    co_await c.connect(port);
    spec.keep_alive = false;
    response res = co_await c.send(std::move(spec));
    co_return res;
}

inline boost::asio::awaitable<response> get(std::uint16_t port, std::string target) {
    request_spec spec;
    spec.target = std::move(target);
    response res = co_await fetch(port, std::move(spec));
    co_return res;
}

} // namespace eelchat::test
