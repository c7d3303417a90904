#include "net/http_session.hpp"

#include "core/metrics.hpp"
#include "net/request_body_reader.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <array>
#include <charconv>
#include <optional>

namespace eelchat::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;

void connection_registry::begin_shutdown() {
    stopping_ = true;
    for (auto* e : entries_)
        if (!e->busy) e->stream->cancel();
}

namespace {

// The status a request that failed to parse deserves, or none when the connection just ended.
std::optional<http::status> status_for_read_error(const error_code& ec) {
    if (ec == http::error::header_limit) return http::status::request_header_fields_too_large;
    if (ec == http::error::body_limit) return http::status::payload_too_large;
    // Any other parse error is the client's fault; an early close or a timeout has nobody to answer.
    if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message &&
        ec != http::error::need_more)
        return http::status::bad_request;
    return std::nullopt;
}

// Registered at start, so that a scrape shows them before the first request.
auto& requests_total = metrics::global().counters(
    "eelchat_http_requests_total", "HTTP requests answered, by route pattern, method and status.",
    {"route", "method", "status"});
auto& request_duration = metrics::global().histograms(
    "eelchat_http_request_duration_seconds",
    "Time from a request's last byte read to its response's last byte written, by route pattern.",
    metrics::latency_buckets, {"route"});

// Methods outside this list (WebDAV verbs, garbage) share one label value.
std::string_view method_label(std::string_view m) {
    for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
        if (m == known) return known;
    return "other";
}

// The lookups are lock-free once a (route, method, status) has been seen: no allocation per request.
void count_request(std::string_view route, std::string_view method, unsigned status, double seconds) {
    if (route.empty()) route = "other";
    char digits[8];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, status);
    const std::string_view code(digits, static_cast<std::size_t>(end - digits));
    requests_total.with({route, method_label(method), code}).inc();
    request_duration.with({route}).observe(seconds);
}

std::string_view path_of(std::string_view target) {
    auto q = target.find('?');
    return q == std::string_view::npos ? target : target.substr(0, q);
}

// Sends a response whose body comes from `body`, piece by piece, after its header (which carries the
// Content-Length). Completes with the body bytes sent; `ec` is set when the client or the source failed,
// and the connection must then close.
asio::awaitable<std::uint64_t> write_streamed(beast::tcp_stream& stream, http_response res,
                                              response_body& body, bool head_only,
                                              std::chrono::milliseconds timeout, error_code& ec) {
    http::response<http::empty_body> header(std::move(res.base()));
    http::response_serializer<http::empty_body> sr(header);
    co_await http::async_write_header(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || head_only) co_return 0;
    std::uint64_t sent = 0;
    std::string piece;
    for (;;) {
        if (!co_await body.next(piece)) {
            ec = asio::error::connection_aborted;
            co_return sent;
        }
        if (piece.empty()) co_return sent;
        stream.expires_after(timeout);
        co_await asio::async_write(stream, asio::buffer(piece),
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return sent;
        sent += piece.size();
    }
}

// After refusing a request whose body is still coming: stop sending, then read and drop a little of what
// is in flight before closing, so that the close does not reset the connection before the client has read
// the answer. Bounded in time and bytes: the rest of the body is never read.
asio::awaitable<void> linger(beast::tcp_stream& stream) {
    error_code ec;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    std::array<char, 16384> sink;
    std::size_t dropped = 0;
    stream.expires_after(std::chrono::seconds(2));
    while (!ec && dropped < 4 * 1024 * 1024) {
        dropped += co_await stream.async_read_some(asio::buffer(sink),
                                                   asio::redirect_error(asio::use_awaitable, ec));
    }
}

} // namespace

asio::awaitable<void> serve_http_connection(asio::ip::tcp::socket socket, http_handler& handler,
                                            connection_registry& registry, server_limits limits, logger log,
                                            std::atomic<std::uint64_t>& next_id) {
    error_code ec;
    auto remote = socket.remote_endpoint(ec).address();
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    connection_entry entry{&stream, false};
    registry.add(&entry);
    struct unregister {
        connection_registry& r;
        connection_entry* e;
        ~unregister() { r.remove(e); }
    } guard{registry, &entry};

    bool first = true;
    while (!registry.stopping()) {
        // The header first: the handler may want the body streamed (an upload) rather than read whole.
        http::request_parser<http::empty_body> head;
        head.header_limit(static_cast<std::uint32_t>(limits.header_limit));
        head.body_limit(boost::none); // checked below, against the limit of the body's reading

        // Wait for the first byte under the idle deadline, then read the whole request under the read
        // deadline, so a slow sender cannot hold a connection open by trickling bytes.
        if (buffer.size() == 0) {
            stream.expires_after(first ? limits.read_timeout : limits.idle_timeout);
            std::size_t n = co_await stream.async_read_some(buffer.prepare(8192),
                                                            asio::redirect_error(asio::use_awaitable, ec));
            if (ec) break;
            buffer.commit(n);
        }
        first = false;
        stream.expires_after(limits.read_timeout);
        co_await http::async_read_header(stream, buffer, head, asio::redirect_error(asio::use_awaitable, ec));

        http_request req;
        std::optional<request_body_reader> streamed_body;
        if (!ec) {
            if (handler.streams_body(head.get())) {
                streamed_body.emplace(std::move(head), stream, buffer, limits.read_timeout);
                req = http_request(streamed_body->header());
            } else if (head.content_length().value_or(0) > limits.body_limit) {
                ec = http::error::body_limit; // refused before a byte of the body is read
            } else {
                http::request_parser<http::string_body> whole(std::move(head));
                whole.body_limit(limits.body_limit); // a chunked body is counted as it comes
                if (!whole.is_done()) co_await send_continue_if_expected(stream, whole.get().base(), ec);
                if (!ec)
                    co_await http::async_read(stream, buffer, whole,
                                              asio::redirect_error(asio::use_awaitable, ec));
                if (!ec) req = whole.release();
            }
        }

        entry.busy = true;
        const auto received = std::chrono::steady_clock::now();
        const std::uint64_t id = next_id.fetch_add(1, std::memory_order_relaxed);
        http_response res;
        bool keep_alive = false;
        std::string method, target;
        std::string_view route; // the handler's pattern, valid while the handler lives
        bool head_only = false;
        bool unread_body = false;
        std::unique_ptr<response_body> streamed_response;
        if (ec) {
            auto status = status_for_read_error(ec);
            if (!status) break; // closed, timed out or cancelled: nobody to answer
            unread_body = ec == http::error::body_limit;
            res = handler.error_response(*status, 11);
            method = "-";
            target = "-";
        } else {
            method = std::string(req.method_string());
            target = std::string(path_of(req.target()));
            request_info info{remote, id, received};
            if (streamed_body) info.body = &*streamed_body;
            try {
                if (boost::beast::websocket::is_upgrade(req)) {
                    auto outcome = co_await handler.handle_upgrade(req, info);
                    if (auto* runner = std::get_if<websocket_runner>(&outcome)) {
                        // The connection becomes a WebSocket: its runner owns the stream from here on, and
                        // shutdown reaches it through the application (which closes it with 1012).
                        log.info("request", {{"id", id},
                                             {"method", method},
                                             {"path", target},
                                             {"status", 101},
                                             {"remote", remote.to_string()}});
                        count_request(
                            info.route, method, 101,
                            std::chrono::duration<double>(std::chrono::steady_clock::now() - received)
                                .count());
                        // Not awaited: this coroutine's frame (parser, buffers, response) is freed now
                        // instead of living as long as the WebSocket does.
                        auto run = std::move(*runner);
                        try {
                            run(stream.release_socket(), std::move(req));
                        } catch (const std::exception& e) {
                            log.error("websocket_failed", {{"id", id}, {"path", target}, {"what", e.what()}});
                        }
                        co_return;
                    }
                    res = std::move(std::get<http_response>(outcome));
                } else {
                    res = co_await handler.handle(req, info);
                }
            } catch (const std::exception& e) {
                log.error("handler_exception", {{"id", id}, {"path", target}, {"what", e.what()}});
                res = handler.error_response(http::status::internal_server_error, req.version());
            }
            route = info.route;
            streamed_response = std::move(info.streamed_response);
            res.version(req.version());
            // A body the handler left unread (it refused the request early) is not worth reading: the
            // connection closes after the answer.
            unread_body = streamed_body && !streamed_body->complete();
            keep_alive = req.keep_alive() && !registry.stopping() && !unread_body;
            head_only = req.method() == http::verb::head;
            if (head_only && !streamed_response) {
                res.prepare_payload();
                auto length = res.body().size();
                res.body().clear();
                res.content_length(length);
            }
        }
        res.keep_alive(keep_alive);
        if (!streamed_response && !res.has_content_length() && !res.chunked()) res.prepare_payload();
        auto bytes = res.body().size();
        const auto status = res.result_int();

        stream.expires_after(limits.write_timeout);
        if (streamed_response) {
            bytes = co_await write_streamed(stream, std::move(res), *streamed_response, head_only,
                                            limits.write_timeout, ec);
        } else {
            http::response_serializer<http::string_body> sr(res);
            if (head_only)
                co_await http::async_write_header(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
            else
                co_await http::async_write(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
        }
        const auto took = std::chrono::steady_clock::now() - received;
        const double ms = std::chrono::duration<double, std::milli>(took).count();
        count_request(route, method, status, std::chrono::duration<double>(took).count());
        log.info("request", {{"id", id},
                             {"method", method},
                             {"path", target},
                             {"status", status},
                             {"bytes", bytes},
                             {"ms", ms},
                             {"remote", remote.to_string()}});
        entry.busy = false;
        if (!ec && unread_body) co_await linger(stream);
        if (ec || !keep_alive) break;
    }
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    stream.close();
}

} // namespace eelchat::net
