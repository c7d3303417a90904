#include "net/http_session.hpp"

#include "core/metrics.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <charconv>

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
        http::request_parser<http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));
        parser.body_limit(limits.body_limit);

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
        co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));

        entry.busy = true;
        const auto received = std::chrono::steady_clock::now();
        const std::uint64_t id = next_id.fetch_add(1, std::memory_order_relaxed);
        http_response res;
        bool keep_alive = false;
        std::string method, target;
        std::string_view route; // the handler's pattern, valid while the handler lives
        bool head = false;
        if (ec) {
            auto status = status_for_read_error(ec);
            if (!status) break; // closed, timed out or cancelled: nobody to answer
            res = handler.error_response(*status, 11);
            method = "-";
            target = "-";
        } else {
            auto& req = parser.get();
            method = std::string(req.method_string());
            target = std::string(path_of(req.target()));
            request_info info{remote, id, received};
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
                            run(stream.release_socket(), parser.release());
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
            res.version(req.version());
            keep_alive = req.keep_alive() && !registry.stopping();
            head = req.method() == http::verb::head;
            if (head) {
                res.prepare_payload();
                auto length = res.body().size();
                res.body().clear();
                res.content_length(length);
            }
        }
        res.keep_alive(keep_alive);
        if (!res.has_content_length() && !res.chunked()) res.prepare_payload();
        const auto bytes = res.body().size();
        const auto status = res.result_int();

        stream.expires_after(limits.write_timeout);
        http::response_serializer<http::string_body> sr(res);
        if (head)
            co_await http::async_write_header(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
        else
            co_await http::async_write(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
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
        if (ec || !keep_alive) break;
    }
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    stream.close();
}

} // namespace eelchat::net
