#include "net/request_body_reader.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include <limits>

namespace eelchat::net {

namespace asio = boost::asio;
using boost::system::error_code;

request_body_reader::request_body_reader(http::request_parser<http::empty_body>&& header_parser,
                                         boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer,
                                         std::chrono::milliseconds read_timeout)
    : parser_(std::move(header_parser)), stream_(stream), buffer_(buffer), read_timeout_(read_timeout) {
    // The handler enforces its own limit (it knows the route's): the parser counts nothing.
    parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (auto n = parser_.content_length()) length_ = *n;
}

asio::awaitable<std::string_view> request_body_reader::read_some(error_code& ec) {
    ec = {};
    if (parser_.is_done()) co_return std::string_view{};
    if (!continue_sent_) {
        continue_sent_ = true;
        co_await send_continue_if_expected(stream_, parser_.get().base(), ec);
        if (ec) co_return std::string_view{};
    }
    auto& body = parser_.get().body();
    body.data = piece_.get();
    body.size = piece_size;
    // One piece per call: the deadline is per piece, so a large upload may take as long as it needs
    // while a stalled one is dropped after read_timeout without a byte.
    stream_.expires_after(read_timeout_);
    co_await http::async_read(stream_, buffer_, parser_, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return std::string_view{};
    const std::size_t n = piece_size - body.size;
    received_ += n;
    co_return std::string_view(piece_.get(), n);
}

asio::awaitable<void> send_continue_if_expected(boost::beast::tcp_stream& stream,
                                                const http::request_header<>& header, error_code& ec) {
    ec = {};
    auto expect = header[http::field::expect];
    if (header.version() < 11 || !boost::beast::iequals(expect, "100-continue")) co_return;
    static constexpr std::string_view answer = "HTTP/1.1 100 Continue\r\n\r\n";
    co_await asio::async_write(stream, asio::buffer(answer.data(), answer.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
}

} // namespace eelchat::net
