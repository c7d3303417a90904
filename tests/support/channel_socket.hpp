// A browser's channel WebSocket for tests: connects to an eelchat instance with a session cookie and an
// Origin, reads the frames the server pushes, and remembers the close code.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace eelchat::test {

class channel_socket {
public:
    explicit channel_socket(boost::asio::any_io_executor ex) : ws_(ex) {}

    // The HTTP status of the handshake: 101 when upgraded, the refusal's status otherwise.
    boost::asio::awaitable<unsigned> connect(std::uint16_t port, std::string target, std::string cookie,
                                             std::string origin, int receive_buffer = 0) {
        namespace http = boost::beast::http;
        auto& tcp = boost::beast::get_lowest_layer(ws_);
        const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
        if (receive_buffer > 0) {
            // A small window makes a reader that stops reading look slow to the server quickly.
            tcp.socket().open(boost::asio::ip::tcp::v4());
            tcp.socket().set_option(boost::asio::socket_base::receive_buffer_size(receive_buffer));
        }
        tcp.expires_after(std::chrono::seconds(10));
        co_await tcp.async_connect(ep, boost::asio::use_awaitable);
        ws_.set_option(boost::beast::websocket::stream_base::decorator(
            [cookie, origin](boost::beast::websocket::request_type& req) {
                if (!cookie.empty()) req.set(http::field::cookie, "eelchat_session=" + cookie);
                if (!origin.empty()) req.set(http::field::origin, origin);
            }));
        // Deadlines come from the TCP layer's expiry (no WebSocket timeout options, which would clash).
        boost::beast::websocket::response_type res;
        boost::system::error_code ec;
        co_await ws_.async_handshake(res, "localhost", target,
                                     boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        tcp.expires_never();
        co_return ec ? res.result_int() : 101u;
    }

    // The next text frame, or nullopt when the connection closed (see close_code()).
    boost::asio::awaitable<std::optional<std::string>> read() {
        boost::beast::flat_buffer buffer;
        boost::system::error_code ec;
        co_await ws_.async_read(buffer, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (ec) {
            closed_ = true;
            co_return std::nullopt;
        }
        co_return boost::beast::buffers_to_string(buffer.data());
    }

    // Reads frames until `want` message sequence numbers arrived, the socket closed, or `limit` passed.
    // Returns the numbers in arrival order (data-seq attributes of the pushed message fragments).
    boost::asio::awaitable<std::vector<std::int64_t>> collect(std::size_t want, std::chrono::seconds limit) {
        static const std::regex seq_re(R"(data-seq="(\d+)\")");
        const auto deadline = std::chrono::steady_clock::now() + limit;
        auto& tcp = boost::beast::get_lowest_layer(ws_);
        while (seqs_.size() < want && std::chrono::steady_clock::now() < deadline) {
            tcp.expires_at(deadline);
            auto frame = co_await read();
            tcp.expires_never();
            if (!frame) break;
            frames_.push_back(*frame);
            for (std::sregex_iterator it(frame->begin(), frame->end(), seq_re), end; it != end; ++it) {
                seqs_.push_back(std::stoll((*it)[1]));
                received_.fetch_add(1, std::memory_order_release);
            }
        }
        co_return seqs_;
    }

    // Reads frames until one carries the event cursor `last` (every event frame starts with the page's
    // cursor, <input id="event-cursor" value="N">), the socket closed, or `limit` passed. Returns every
    // cursor read so far, in arrival order; frames() has the frames.
    boost::asio::awaitable<std::vector<std::int64_t>> collect_events(std::int64_t last,
                                                                     std::chrono::seconds limit) {
        static const std::regex cursor_re(R"re(id="event-cursor" value="(\d+)")re");
        const auto deadline = std::chrono::steady_clock::now() + limit;
        auto& tcp = boost::beast::get_lowest_layer(ws_);
        while ((events_.empty() || events_.back() < last) && std::chrono::steady_clock::now() < deadline) {
            tcp.expires_at(deadline);
            auto frame = co_await read();
            tcp.expires_never();
            if (!frame) break;
            frames_.push_back(*frame);
            std::smatch m;
            if (std::regex_search(*frame, m, cursor_re)) events_.push_back(std::stoll(m[1]));
        }
        co_return events_;
    }
    // The frame that carried event `seq` ("" if none did).
    std::string frame_of(std::int64_t seq) const {
        const std::string mark = "id=\"event-cursor\" value=\"" + std::to_string(seq) + "\"";
        for (const auto& f : frames_)
            if (f.find(mark) != std::string::npos) return f;
        return {};
    }

    boost::asio::awaitable<void> close() {
        boost::system::error_code ec;
        co_await ws_.async_close(boost::beast::websocket::close_code::normal,
                                 boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }

    bool closed() const { return closed_; }
    // How many messages collect() has read so far; safe to read from another thread.
    std::size_t received() const { return received_.load(std::memory_order_acquire); }
    unsigned close_code() const { return ws_.reason().code; }
    std::string close_reason() const {
        return std::string(ws_.reason().reason.data(), ws_.reason().reason.size());
    }
    const std::vector<std::string>& frames() const { return frames_; }
    const std::vector<std::int64_t>& seqs() const { return seqs_; }

private:
    boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
    std::vector<std::string> frames_;
    std::vector<std::int64_t> seqs_;
    std::vector<std::int64_t> events_;
    bool closed_ = false;
    std::atomic<std::size_t> received_{0};
};

} // namespace eelchat::test
