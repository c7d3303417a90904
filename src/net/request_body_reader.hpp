// The server's side of a streamed request body (net/body_stream.hpp): Beast's parser moved from the
// header-only parser to a buffer_body one, reading into one 64 KiB buffer under the read deadline per
// piece. Internal to src/net (http_session.cpp is its only user).
#pragma once

#include "net/body_stream.hpp"
#include "net/http.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <chrono>
#include <memory>

namespace eelchat::net {

class request_body_reader final : public request_body {
public:
    // Takes over `header_parser` (whose header is complete) and reads the body from `stream`, starting
    // with what `buffer` already holds. Both must outlive the reader.
    request_body_reader(http::request_parser<http::empty_body>&& header_parser,
                        boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer,
                        std::chrono::milliseconds read_timeout);

    std::optional<std::uint64_t> announced_length() const noexcept override { return length_; }
    boost::asio::awaitable<std::string_view> read_some(boost::system::error_code& ec) override;
    std::uint64_t received() const noexcept override { return received_; }
    bool complete() const noexcept override { return parser_.is_done(); }

    // The request's header, for the handler's http_request.
    const http::request_header<>& header() const { return parser_.get().base(); }

    static constexpr std::size_t piece_size = 64 * 1024;

private:
    http::request_parser<http::buffer_body> parser_;
    boost::beast::tcp_stream& stream_;
    boost::beast::flat_buffer& buffer_;
    std::chrono::milliseconds read_timeout_;
    std::optional<std::uint64_t> length_;
    std::uint64_t received_ = 0;
    bool continue_sent_ = false;
    std::unique_ptr<char[]> piece_ = std::make_unique<char[]>(piece_size);
};

// Answers "100 Continue" when the request waits for it before sending its body.
boost::asio::awaitable<void> send_continue_if_expected(boost::beast::tcp_stream& stream,
                                                       const http::request_header<>& header,
                                                       boost::system::error_code& ec);

} // namespace eelchat::net
