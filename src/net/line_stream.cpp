#include "net/line_stream.hpp"

#include "net/dns.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>

namespace eelchat::net {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;

line_stream::line_stream(asio::any_io_executor ex, ssl::context& tls) : stream_(ex, tls) {}

asio::awaitable<error_code> line_stream::connect(const std::string& host, std::uint16_t port,
                                                 std::string& detail) {
    error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (!ec) {
        const tcp::endpoint endpoint(address, port);
        co_await stream_.next_layer().async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
    } else {
        auto endpoints = co_await resolve_host(stream_.get_executor(), host, port, resolve_timeout);
        if (!endpoints) {
            detail = "resolving " + host + ": " + endpoints.error().message();
            co_return endpoints.error();
        }
        co_await asio::async_connect(stream_.next_layer(), *endpoints,
                                     asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
        detail = ec.message();
        co_return ec;
    }
    stream_.next_layer().set_option(tcp::no_delay(true), ec);
    co_return error_code{};
}

asio::awaitable<error_code> line_stream::start_tls(const std::string& host, std::string& detail) {
    error_code ec;
    asio::ip::make_address(host, ec);
    // SNI carries host names only (RFC 6066 3), never an IP literal.
    if (ec && SSL_set_tlsext_host_name(stream_.native_handle(), host.c_str()) != 1) {
        detail = "cannot set the TLS server name";
        co_return make_error_code(boost::system::errc::invalid_argument);
    }
    stream_.set_verify_callback(ssl::host_name_verification(host));
    ec = {};
    co_await stream_.async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        detail = ec.message();
        co_return ec;
    }
    tls_ = true;
    co_return error_code{};
}

asio::awaitable<error_code> line_stream::write(std::string_view data) {
    error_code ec;
    if (tls_)
        co_await asio::async_write(stream_, asio::buffer(data),
                                   asio::redirect_error(asio::use_awaitable, ec));
    else
        co_await asio::async_write(stream_.next_layer(), asio::buffer(data),
                                   asio::redirect_error(asio::use_awaitable, ec));
    co_return ec;
}

asio::awaitable<error_code> line_stream::read_line(std::string_view& line, std::size_t max_length) {
    in_.erase(0, consumed_);
    consumed_ = 0;
    error_code ec;
    // The buffer limit bounds a line with its CRLF: a longer one fails with not_found.
    auto buffer = asio::dynamic_buffer(in_, max_length + 2);
    std::size_t n = 0;
    if (tls_)
        n = co_await asio::async_read_until(stream_, buffer, '\n',
                                            asio::redirect_error(asio::use_awaitable, ec));
    else
        n = co_await asio::async_read_until(stream_.next_layer(), buffer, '\n',
                                            asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return ec;
    line = std::string_view(in_.data(), n - 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    consumed_ = n;
    co_return error_code{};
}

void line_stream::close() noexcept {
    error_code ignored;
    stream_.next_layer().close(ignored);
}

} // namespace eelchat::net
