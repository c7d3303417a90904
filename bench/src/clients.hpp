// The loader's two clients. A subscriber is a browser's channel websocket: it connects (from a chosen
// loopback source address, so 20,000 sockets do not exhaust one address's ports), upgrades with the
// session cookie and Origin, then reads whatever the kernel holds into its thread's buffer and hands each
// message to a sink (ws_frames.hpp walks the frames in place). A poster
// is a keep-alive HTTP/1.1 connection that sends pre-formatted requests and reads the status.
#pragma once

#include "delivery_check.hpp"
#include "options.hpp"
#include "read_poller.hpp"
#include "ws_frames.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eelbench {

using tcp = boost::asio::ip::tcp;

// Where and how to connect: the resolved server endpoint and, for a loopback server, the source address.
struct endpoint_spec {
    tcp::endpoint server;
    std::optional<boost::asio::ip::address> source; // bind here first (port chosen at connect time)
    std::string host_header;
};

// Resolves a target (blocking: call before the loader threads start).
tcp::endpoint resolve(const target_url& url);
// Source address number `n` for a loopback server: 127.0.0.1 .. 127.0.0.250, round robin; nullopt when
// the server is not on loopback.
std::optional<boost::asio::ip::address> source_address(const tcp::endpoint& server, std::size_t n);

class subscriber;

// Receives every text frame a subscriber reads (on the subscriber's thread).
class frame_sink {
public:
    virtual ~frame_sink() = default;
    virtual void on_frame(subscriber& s, std::string_view frame) = 0;
};

class subscriber final : private ws_frame_events, private readable_socket {
public:
    subscriber(boost::asio::any_io_executor ex, std::uint32_t channel, std::int64_t after, unsigned thread);

    // Connects and upgrades (a browser's handshake: cookie, Origin, a fixed Sec-WebSocket-Key). Completes
    // with the error, websocket::error::upgrade_declined when the server answered anything but 101, or
    // timeout after 30 s.
    boost::asio::awaitable<boost::system::error_code> connect(const endpoint_spec& where, std::string target,
                                                              std::string cookie, std::string origin);
    // Reads frames until the connection ends or close() is called; completes with why it ended. The
    // socket joins its thread's read_poller, and each wake-up reads everything the kernel holds into the
    // thread's buffer; pings are answered. Call on the subscriber's thread.
    boost::asio::awaitable<boost::system::error_code> read_loop(frame_sink& sink);
    // Ends the connection abruptly (the run is over). Safe to call on the subscriber's thread at any time.
    void close();

    std::uint32_t channel() const { return channel_; }
    unsigned thread() const { return thread_; }
    delivery_tracker& tracker() { return tracker_; }
    bool open() const { return open_; }
    std::uint16_t close_code() const { return close_code_; }

private:
    void on_message(std::string_view payload) override;
    void on_ping(std::string_view payload) override;
    void on_close(std::uint16_t code) override;
    void on_readable() override;
    void end(boost::system::error_code ec);

    tcp::socket socket_;
    boost::asio::steady_timer ended_; // read_loop waits on it until the connection ends
    read_poller* poller_ = nullptr;
    boost::system::error_code end_ec_;
    ws_frame_reader reader_;
    std::string handshake_rest_; // frame bytes that came with the handshake response
    frame_sink* sink_ = nullptr;
    delivery_tracker tracker_;
    std::uint32_t channel_;
    unsigned thread_;
    std::uint16_t close_code_ = 0;
    bool open_ = false;
};

// A keep-alive HTTP connection. Requests are complete byte strings (see format_post/format_get).
class http_client {
public:
    explicit http_client(boost::asio::any_io_executor ex) : stream_(ex) {}

    boost::asio::awaitable<boost::system::error_code> connect(const endpoint_spec& where);
    // Sends `request` and reads the response; completes with its status, or 0 and `ec` when the
    // connection failed or took longer than 30 s (then reconnect before the next request). `body`, if
    // given, receives the response body.
    boost::asio::awaitable<unsigned> send(const std::string& request, boost::system::error_code& ec,
                                          std::string* body = nullptr);
    bool connected() const { return connected_; }

private:
    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    bool connected_ = false;
};

// "POST <path>" of the compose form, as htmx sends it.
std::string format_post(const std::string& host_header, const std::string& path, const std::string& cookie,
                        const std::string& csrf, std::string_view text, std::string_view client_id);
std::string format_get(const std::string& host_header, const std::string& target, const std::string& cookie);

} // namespace eelbench
