// A websocket client over real sockets for tests: connects to 127.0.0.1:port with a target and extra
// headers (Cookie, Origin), reads text frames, writes, closes, or vanishes without a close frame.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace eelchat::test {

namespace websocket = boost::beast::websocket;

struct ws_connect_spec {
    std::string target = "/";
    std::vector<std::pair<std::string, std::string>> headers; // e.g. {"Cookie", "sid=..."}, {"Origin", ...}
};

class ws_client {
public:
    explicit ws_client(boost::asio::any_io_executor ex) : ws_(ex) {}

    // Connects and performs the handshake; throws when either fails (a rejected upgrade throws
    // websocket::error::upgrade_declined; handshake_response() then holds the server's answer).
    boost::asio::awaitable<void> connect(std::uint16_t port, ws_connect_spec spec) {
        auto& tcp = boost::beast::get_lowest_layer(ws_);
        const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
        tcp.expires_after(std::chrono::seconds(10));
        co_await tcp.async_connect(ep, boost::asio::use_awaitable);
        tcp.expires_never();
        ws_.set_option(websocket::stream_base::timeout::suggested(boost::beast::role_type::client));
        ws_.set_option(websocket::stream_base::decorator(
            [headers = std::move(spec.headers)](websocket::request_type& req) {
                for (auto& [k, v] : headers)
                    req.set(k, v);
            }));
        const std::string host = "127.0.0.1:" + std::to_string(port);
        co_await ws_.async_handshake(response_, host, spec.target, boost::asio::use_awaitable);
    }

    boost::asio::awaitable<void> connect(std::uint16_t port) {
        ws_connect_spec spec;
        return connect(port, std::move(spec));
    }

    // The next message as text, or the error that ended the connection: websocket::error::closed after a
    // close frame (close_code() and close_reason() then tell which), anything else when it broke.
    boost::asio::awaitable<boost::system::result<std::string>> read_text() {
        boost::beast::flat_buffer buffer;
        boost::system::error_code ec;
        co_await ws_.async_read(buffer, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (ec) co_return ec;
        std::string text = boost::beast::buffers_to_string(buffer.data());
        co_return text;
    }

    boost::asio::awaitable<void> write_text(std::string text) {
        ws_.text(true);
        co_await ws_.async_write(boost::asio::buffer(text), boost::asio::use_awaitable);
    }

    // A clean close from the client side; errors (the server closed first) are ignored.
    boost::asio::awaitable<void> close(websocket::close_code code = websocket::close_code::normal) {
        boost::system::error_code ec;
        const websocket::close_reason reason(code);
        co_await ws_.async_close(reason, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }

    // The client vanishes: the TCP connection closes without a close frame (a browser tab killed).
    void drop() {
        boost::system::error_code ec;
        boost::beast::get_lowest_layer(ws_).socket().close(ec);
    }

    // The code and reason of the close frame the server sent (0 and "" before one arrived).
    std::uint16_t close_code() const { return ws_.reason().code; }
    std::string close_reason() const { return std::string(ws_.reason().reason.c_str()); }

    const websocket::response_type& handshake_response() const { return response_; }
    websocket::stream<boost::beast::tcp_stream>& stream() { return ws_; }

private:
    websocket::stream<boost::beast::tcp_stream> ws_;
    websocket::response_type response_;
};

} // namespace eelchat::test
