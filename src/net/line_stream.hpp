// A client connection for line-based protocols that switch to TLS midway (SMTP's STARTTLS, RFC 3207):
// TCP to a host name or address, then optionally TLS over the same socket, reading whole lines with a
// bound on their length. One operation at a time; the caller's deadline cancels them (every operation
// completes with operation_aborted then).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace eelchat::net {

class line_stream {
public:
    static constexpr std::chrono::milliseconds resolve_timeout{10000};

    // `tls` must outlive the stream.
    line_stream(boost::asio::any_io_executor ex, boost::asio::ssl::context& tls);

    // Connects to `host` (an IP literal, or a name that is resolved first, within resolve_timeout: see
    // net/dns.hpp) on `port`, trying each address in turn. On failure `detail` says what failed ("resolving
    // mx.example: Host not found"). Completion: empty, or the resolver's or connect's error.
    boost::asio::awaitable<boost::system::error_code> connect(const std::string& host, std::uint16_t port,
                                                              std::string& detail);

    // The TLS client handshake over the connection: SNI for host names (never for IP literals), the
    // certificate verified against the context's trust and `host`. On failure `detail` says why.
    boost::asio::awaitable<boost::system::error_code> start_tls(const std::string& host, std::string& detail);

    // Writes all of `data` (through TLS once it is on).
    boost::asio::awaitable<boost::system::error_code> write(std::string_view data);

    // Reads one line into `line`, without its LF and a CR before it; the view stays valid until the next
    // read. Completes with asio::error::not_found when the line is longer than `max_length` bytes.
    boost::asio::awaitable<boost::system::error_code> read_line(std::string_view& line,
                                                                std::size_t max_length);

    // Whether bytes arrived beyond the lines read so far (after STARTTLS's reply they would have been
    // sent before TLS, so a man in the middle could have injected them).
    bool has_buffered_input() const noexcept { return in_.size() > consumed_; }
    bool tls() const noexcept { return tls_; }
    void close() noexcept;

private:
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
    std::string in_; // received bytes; the first `consumed_` were handed out as the last line
    std::size_t consumed_ = 0;
    bool tls_ = false;
};

} // namespace eelchat::net
