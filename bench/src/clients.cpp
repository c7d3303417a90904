#include "clients.hpp"

#include "core/text.hpp"

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/error.hpp>

#include <netinet/in.h>

namespace eelbench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using boost::system::error_code;

tcp::endpoint resolve(const target_url& url) {
    asio::io_context ctx;
    tcp::resolver r(ctx);
    auto results = r.resolve(url.host, std::to_string(url.port));
    for (const auto& e : results)
        if (e.endpoint().address().is_v4()) return e.endpoint();
    return results.begin()->endpoint();
}

std::optional<asio::ip::address> source_address(const tcp::endpoint& server, std::size_t n) {
    if (!server.address().is_loopback() || !server.address().is_v4()) return std::nullopt;
    const asio::ip::address_v4::bytes_type b{127, 0, 0, static_cast<unsigned char>(1 + n % 250)};
    return asio::ip::address(asio::ip::address_v4(b));
}

namespace {

// Binds the source address but lets connect() pick the port, so each address has the whole ephemeral
// range for each destination.
void bind_source(tcp::socket& s, const asio::ip::address& source, error_code& ec) {
    s.open(tcp::v4(), ec);
    if (ec) return;
    int one = 1;
    ::setsockopt(s.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    s.bind(tcp::endpoint(source, 0), ec);
}

} // namespace

subscriber::subscriber(asio::any_io_executor ex, std::uint32_t channel, std::int64_t after, unsigned thread)
    : socket_(ex), ended_(ex), tracker_(after), channel_(channel), thread_(thread) {}

asio::awaitable<error_code> subscriber::connect(const endpoint_spec& where, std::string target,
                                                std::string cookie, std::string origin) {
    error_code ec;
    // The handshake goes through a tcp_stream for its deadline; the socket is taken back afterwards.
    beast::tcp_stream stream(socket_.get_executor());
    if (where.source) {
        bind_source(stream.socket(), *where.source, ec);
        if (ec) co_return ec;
    }
    stream.expires_after(std::chrono::seconds(30));
    co_await stream.async_connect(where.server, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return ec;
    stream.socket().set_option(tcp::no_delay(true), ec);
    // The key need not be secret or random for a load generator; the server only echoes its hash.
    const std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + where.host_header +
                                "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                                "ZWVsYmVuY2gtaGFuZHNoYQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: " +
                                origin + (cookie.empty() ? "" : "\r\nCookie: " + cookie) + "\r\n\r\n";
    co_await asio::async_write(stream, asio::buffer(request), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return ec;
    std::string response;
    std::size_t end = std::string::npos;
    char chunk[4096];
    while (end == std::string::npos) {
        const std::size_t n = co_await stream.async_read_some(asio::buffer(chunk),
                                                              asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return ec;
        response.append(chunk, n);
        end = response.find("\r\n\r\n");
        if (end == std::string::npos && response.size() > 16384)
            co_return make_error_code(http::error::header_limit);
    }
    if (!response.starts_with("HTTP/1.1 101")) co_return make_error_code(websocket::error::upgrade_declined);
    handshake_rest_ = response.substr(end + 4);
    stream.expires_never();
    socket_ = stream.release_socket();
    socket_.non_blocking(true, ec);
    if (ec) co_return ec;
    open_ = true;
    co_return error_code{};
}

void subscriber::on_message(std::string_view payload) {
    sink_->on_frame(*this, payload);
}

void subscriber::on_ping(std::string_view payload) {
    // A pong is a few bytes on an idle socket: a non-blocking write either takes it whole or the
    // connection is in trouble anyway (the server's idle timeout will tell).
    const std::string pong = client_control_frame(0xA, payload);
    error_code ignored;
    socket_.write_some(asio::buffer(pong), ignored);
}

void subscriber::on_close(std::uint16_t code) {
    close_code_ = code;
    const std::string reply = client_control_frame(0x8, "");
    error_code ignored;
    socket_.write_some(asio::buffer(reply), ignored);
}

asio::awaitable<error_code> subscriber::read_loop(frame_sink& sink) {
    sink_ = &sink;
    if (!handshake_rest_.empty() && !reader_.feed(handshake_rest_, *this)) end(websocket::error::closed);
    handshake_rest_.clear();
    if (open_) {
        auto* ctx = socket_.get_executor().target<asio::io_context::executor_type>();
        poller_ = ctx ? &asio::use_service<read_poller>(ctx->context()) : nullptr;
        if (!poller_ || !poller_->add(socket_.native_handle(), this)) {
            poller_ = nullptr;
            end(asio::error::operation_not_supported);
        }
    }
    if (open_) {
        ended_.expires_at(asio::steady_timer::time_point::max());
        error_code ignored;
        co_await ended_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    co_return end_ec_;
}

void subscriber::on_readable() {
    // One receive buffer per loader thread: a socket keeps only an incomplete frame of its own.
    thread_local std::vector<char> buffer(256 * 1024);
    while (open_) {
        error_code ec;
        const std::size_t n = socket_.read_some(asio::buffer(buffer), ec);
        if (ec == asio::error::would_block) return;
        if (ec) return end(ec);
        if (!reader_.feed(std::string_view(buffer.data(), n), *this)) return end(websocket::error::closed);
        if (n < buffer.size()) return; // drained: bytes that come later report again
    }
}

void subscriber::end(error_code ec) {
    if (!open_) return;
    open_ = false;
    end_ec_ = ec;
    if (poller_) poller_->remove(socket_.native_handle());
    error_code ignored;
    socket_.close(ignored);
    ended_.cancel();
}

void subscriber::close() {
    end({});
}

asio::awaitable<error_code> http_client::connect(const endpoint_spec& where) {
    error_code ec;
    auto& sock = stream_.socket();
    if (sock.is_open()) sock.close(ec);
    buffer_.clear();
    if (where.source) {
        bind_source(sock, *where.source, ec);
        if (ec) co_return ec;
    }
    stream_.expires_after(std::chrono::seconds(30));
    co_await stream_.async_connect(where.server, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) sock.set_option(tcp::no_delay(true), ec);
    connected_ = !ec;
    co_return ec;
}

asio::awaitable<unsigned> http_client::send(const std::string& request, error_code& ec, std::string* body) {
    stream_.expires_after(std::chrono::seconds(30));
    co_await asio::async_write(stream_, asio::buffer(request), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        connected_ = false;
        co_return 0u;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    co_await http::async_read(stream_, buffer_, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        connected_ = false;
        co_return 0u;
    }
    auto& res = parser.get();
    if (!res.keep_alive()) connected_ = false;
    if (body) *body = std::move(res.body());
    co_return res.result_int();
}

std::string format_post(const std::string& host_header, const std::string& path, const std::string& cookie,
                        const std::string& csrf, std::string_view text, std::string_view client_id) {
    std::string body = "text=" + eelchat::text::form_encode(text) + "&client_id=" + std::string(client_id) +
                       "&__anti-forgery-token=" + csrf;
    std::string r;
    r.reserve(300 + path.size() + body.size());
    r += "POST " + path + " HTTP/1.1\r\nHost: " + host_header + "\r\nCookie: " + cookie +
         "\r\nHX-Request: true\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n";
    r += body;
    return r;
}

std::string format_get(const std::string& host_header, const std::string& target, const std::string& cookie) {
    return "GET " + target + " HTTP/1.1\r\nHost: " + host_header + "\r\nCookie: " + cookie +
           "\r\nHX-Request: true\r\n\r\n";
}

} // namespace eelbench
