#include "net/http_fetch.hpp"

#include "net/address_policy.hpp"
#include "net/dns.hpp"
#include "net/gzip.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/throw_exception.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <stdexcept>

namespace eelchat::net {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;
using clock_type = std::chrono::steady_clock;

fetch_error failure(fetch_errc reason, std::string message, int status = 0) {
    return fetch_error{reason, status, std::move(message)};
}

std::string describe_size(std::size_t bytes) {
    constexpr std::size_t kib = 1024, mib = 1024 * 1024;
    if (bytes % mib == 0) return std::to_string(bytes / mib) + " MiB";
    if (bytes % kib == 0) return std::to_string(bytes / kib) + " KiB";
    return std::to_string(bytes) + " bytes";
}

std::string describe_duration(std::chrono::milliseconds d) {
    if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
    return std::to_string(d.count()) + " ms";
}

fetch_error too_large(const fetch_options& opts, std::string_view when = {}) {
    std::string msg = "response larger than " + describe_size(opts.max_body);
    if (!when.empty()) msg += " " + std::string(when);
    return failure(fetch_errc::too_large, std::move(msg));
}

fetch_error url_failure(const error_code& ec, std::string_view what) {
    if (ec == url_errc::unsupported_scheme)
        return failure(fetch_errc::unsupported_scheme, std::string(what) + " is not an http or https URL");
    return failure(fetch_errc::bad_url, std::string(what) + " is not a valid URL");
}

bool is_ip_literal(const std::string& host) {
    error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

using endpoints_result = boost::system::result<tcp::resolver::results_type, fetch_error>;

// Looks the host up once and checks every address; the caller connects to exactly these endpoints. The
// refusal never says what the name resolved to: that would map the server's own network for whoever
// typed the URL.
asio::awaitable<endpoints_result> resolve_checked(asio::any_io_executor ex, const url& u,
                                                  const fetch_options& opts) {
    auto results = co_await resolve_host(ex, u.host, u.port, opts.resolve_timeout);
    if (!results) {
        const auto ec = results.error();
        if (ec == asio::error::host_not_found || ec == asio::error::host_not_found_try_again)
            co_return failure(fetch_errc::resolve_failed, "host not found (" + u.host + ")");
        if (ec == asio::error::timed_out)
            co_return failure(fetch_errc::resolve_failed, "looking up " + u.host + " timed out");
        co_return failure(fetch_errc::resolve_failed, "cannot look up " + u.host);
    }
    if (results->empty()) co_return failure(fetch_errc::resolve_failed, "host not found (" + u.host + ")");
    if (!opts.allow_private) {
        for (const auto& entry : *results) {
            const auto address = entry.endpoint().address();
            const bool allowed =
                opts.address_allowed ? opts.address_allowed(address) : is_public_address(address);
            if (allowed) continue;
            if (is_ip_literal(u.host))
                co_return failure(fetch_errc::private_address, u.host + " is not a public address");
            co_return failure(fetch_errc::private_address, u.host + " is not a public host");
        }
    }
    co_return std::move(*results);
}

// The stream's deadline for the next operation: its own timeout, but never past the fetch's deadline.
void arm(beast::tcp_stream& s, std::chrono::milliseconds per_operation, clock_type::time_point deadline) {
    s.expires_at(std::min(clock_type::now() + per_operation, deadline));
}

struct hop {
    std::optional<fetch_error> error;
    std::optional<std::string> location; // a redirect to follow
    fetch_response response;
};

hop fail(fetch_error e) {
    hop h;
    h.error = std::move(e);
    return h;
}

fetch_error timed_out(const fetch_options& opts, clock_type::time_point deadline, std::string_view doing) {
    if (clock_type::now() >= deadline)
        return failure(fetch_errc::timeout,
                       "timed out: no complete response within " + describe_duration(opts.total_timeout));
    return failure(fetch_errc::timeout, "timed out " + std::string(doing));
}

fetch_error read_failure(const error_code& ec, const fetch_options& opts, clock_type::time_point deadline) {
    if (ec == beast::error::timeout) return timed_out(opts, deadline, "waiting for the server");
    if (ec == http::error::body_limit) return too_large(opts);
    if (ec == http::error::header_limit)
        return failure(fetch_errc::protocol_error, "response headers too large");
    if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
        ec == ssl::error::stream_truncated)
        return failure(fetch_errc::protocol_error, "the server closed the connection mid-response");
    if (ec.category() == make_error_code(http::error::bad_version).category())
        return failure(fetch_errc::protocol_error, "not a valid HTTP response (" + ec.message() + ")");
    return failure(fetch_errc::protocol_error, "reading the response failed: " + ec.message());
}

std::optional<std::string> header(const http::response_header<>& h, http::field f) {
    auto it = h.find(f);
    if (it == h.end() || it->value().empty()) return std::nullopt;
    return std::string(it->value());
}

// A stored validator goes back into a header only if it cannot break the request.
bool safe_header_value(const std::optional<std::string>& v) {
    if (!v || v->empty() || v->size() > 1024) return false;
    for (unsigned char c : *v)
        if (c < 0x20 || c == 0x7f) return false;
    return true;
}

// A header name is a token (RFC 9110 5.6.2): no separators, spaces or control characters.
bool safe_header_name(std::string_view name) {
    if (name.empty() || name.size() > 256) return false;
    for (unsigned char c : name)
        if (c <= 0x20 || c >= 0x7f ||
            std::string_view("\"(),/:;<=>?@[\\]{}").find(static_cast<char>(c)) != std::string_view::npos)
            return false;
    return true;
}

std::string lower_trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// The body as the feed parser needs it: Content-Encoding undone, within the size limit.
std::optional<fetch_error> decode_body(std::string_view encoding_header, std::string& body,
                                       const fetch_options& opts) {
    const std::string encoding = lower_trimmed(encoding_header);
    if (encoding.empty() || encoding == "identity") return std::nullopt;
    const bool gzip = encoding == "gzip" || encoding == "x-gzip";
    if (!gzip && encoding != "deflate")
        return failure(fetch_errc::bad_encoding, "unsupported Content-Encoding: " + encoding);
    std::string out;
    switch (inflate_body(body, opts.max_body, out, !gzip)) {
    case inflate_status::ok:
        body = std::move(out);
        return std::nullopt;
    case inflate_status::too_large:
        return too_large(opts, "once decompressed");
    case inflate_status::corrupt:
        break;
    }
    return failure(fetch_errc::bad_encoding, "corrupt " + encoding + " response body");
}

bool is_redirect(unsigned status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// One request and its response on a connected stream (plain or TLS).
template <class Stream>
asio::awaitable<hop> exchange(Stream& stream, const url& u, const fetch_request& req,
                              const fetch_options& opts, clock_type::time_point deadline) {
    auto& tcp_layer = beast::get_lowest_layer(stream);
    const bool post = req.body.has_value();
    http::request<http::string_body> request{post ? http::verb::post : http::verb::get, u.target, 11};
    request.set(http::field::host, u.authority());
    request.set(http::field::user_agent, opts.user_agent);
    if (!req.accept.empty())
        request.set(http::field::accept, req.accept);
    else
        request.set(http::field::accept,
                    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
                    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5");
    request.set(http::field::accept_encoding, "gzip, deflate");
    request.set(http::field::connection, "close");
    for (const auto& [name, value] : req.headers)
        request.set(name, value);
    if (post) {
        request.set(http::field::content_type, req.content_type);
        request.body() = *req.body;
        request.prepare_payload();
    } else {
        if (safe_header_value(req.etag)) request.set(http::field::if_none_match, *req.etag);
        if (safe_header_value(req.last_modified))
            request.set(http::field::if_modified_since, *req.last_modified);
    }

    error_code ec;
    arm(tcp_layer, opts.read_timeout, deadline);
    co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == beast::error::timeout) co_return fail(timed_out(opts, deadline, "sending the request"));
    if (ec)
        co_return fail(failure(fetch_errc::protocol_error, "sending the request failed: " + ec.message()));

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(opts.max_body);
    // Read piece by piece so that read_timeout bounds each silence rather than the whole response.
    while (!parser.is_header_done()) {
        arm(tcp_layer, opts.read_timeout, deadline);
        co_await http::async_read_some(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return fail(read_failure(ec, opts, deadline));
    }

    const auto& head = parser.get().base();
    const unsigned status = parser.get().result_int();
    hop h;
    if (is_redirect(status)) {
        h.location = header(head, http::field::location);
        if (!h.location)
            co_return fail(failure(fetch_errc::protocol_error,
                                   "HTTP " + std::to_string(status) + " redirect without a Location header"));
        co_return h;
    }
    // A POST's answer may be any success (a push service says 201 Created); a GET's only 200 or 304.
    const bool success = status == 200 || status == 304 || (req.body && status >= 200 && status < 300);
    if (!success)
        co_return fail(
            failure(fetch_errc::http_status, "HTTP " + std::to_string(status), static_cast<int>(status)));
    h.response.status = static_cast<int>(status);
    h.response.etag = header(head, http::field::etag);
    h.response.last_modified = header(head, http::field::last_modified);
    if (status == 304) co_return h;

    while (!parser.is_done()) {
        arm(tcp_layer, opts.read_timeout, deadline);
        co_await http::async_read_some(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == ssl::error::stream_truncated) {
            // A TLS peer that closes without close_notify: fine when the body is delimited by the close.
            error_code eof_ec;
            parser.put_eof(eof_ec);
            if (!eof_ec && parser.is_done()) break;
        }
        if (ec) co_return fail(read_failure(ec, opts, deadline));
    }
    const std::string encoding(head[http::field::content_encoding]);
    h.response.body = std::move(parser.get().body());
    if (auto e = decode_body(encoding, h.response.body, opts)) co_return fail(std::move(*e));
    co_return h;
}

// Connects to the checked endpoints of u and runs one exchange, over TLS for https.
asio::awaitable<hop> fetch_once(asio::any_io_executor ex, ssl::context& tls, const url& u,
                                const fetch_request& req, const fetch_options& opts,
                                clock_type::time_point deadline) {
    auto endpoints = co_await resolve_checked(ex, u, opts);
    if (!endpoints) co_return fail(endpoints.error());
    if (clock_type::now() >= deadline) co_return fail(timed_out(opts, deadline, "resolving the host"));

    beast::tcp_stream tcp_stream(ex);
    error_code ec;
    arm(tcp_stream, opts.connect_timeout, deadline);
    co_await tcp_stream.async_connect(*endpoints, asio::redirect_error(asio::use_awaitable, ec));
    const std::string where = u.authority();
    if (ec == beast::error::timeout) co_return fail(timed_out(opts, deadline, "connecting to " + where));
    if (ec)
        co_return fail(
            failure(fetch_errc::connect_failed, "cannot connect to " + where + ": " + ec.message()));

    if (!u.https()) {
        hop h = co_await exchange(tcp_stream, u, req, opts, deadline);
        co_return h;
    }

    ssl::stream<beast::tcp_stream> stream(std::move(tcp_stream), tls);
    // SNI carries host names only (RFC 6066 3), never an IP literal.
    if (!is_ip_literal(u.host) && SSL_set_tlsext_host_name(stream.native_handle(), u.host.c_str()) != 1)
        co_return fail(failure(fetch_errc::tls_error, "cannot set the TLS server name"));
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback(ssl::host_name_verification(u.host));
    arm(beast::get_lowest_layer(stream), opts.connect_timeout, deadline);
    co_await stream.async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == beast::error::timeout) co_return fail(timed_out(opts, deadline, "in the TLS handshake"));
    if (ec)
        co_return fail(
            failure(fetch_errc::tls_error, "TLS handshake with " + where + " failed: " + ec.message()));
    hop h = co_await exchange(stream, u, req, opts, deadline);
    co_return h;
}

} // namespace

ssl::context verifying_client_tls() {
    ssl::context tls(ssl::context::tls_client);
    tls.set_default_verify_paths();
    tls.set_verify_mode(ssl::verify_peer);
    return tls;
}

std::string_view to_string(fetch_errc e) noexcept {
    switch (e) {
    case fetch_errc::bad_url:
        return "bad_url";
    case fetch_errc::unsupported_scheme:
        return "unsupported_scheme";
    case fetch_errc::private_address:
        return "private_address";
    case fetch_errc::resolve_failed:
        return "resolve_failed";
    case fetch_errc::connect_failed:
        return "connect_failed";
    case fetch_errc::tls_error:
        return "tls_error";
    case fetch_errc::timeout:
        return "timeout";
    case fetch_errc::too_many_redirects:
        return "too_many_redirects";
    case fetch_errc::too_large:
        return "too_large";
    case fetch_errc::http_status:
        return "http_status";
    case fetch_errc::bad_encoding:
        return "bad_encoding";
    case fetch_errc::protocol_error:
        return "protocol_error";
    }
    return "unknown";
}

void throw_exception_from_error(const fetch_error& e, const boost::source_location& loc) {
    boost::throw_exception(std::runtime_error("fetch failed: " + e.message), loc);
}

asio::awaitable<fetch_result> fetch(asio::any_io_executor ex, ssl::context& tls, fetch_request req,
                                    fetch_options opts) {
    auto first = parse_url(req.url);
    if (!first) co_return url_failure(first.error(), "the feed address");
    for (const auto& [name, value] : req.headers)
        if (!safe_header_name(name) || !safe_header_value(value))
            co_return failure(fetch_errc::bad_url, "a request header is not valid");
    if (req.body && !safe_header_value(req.content_type))
        co_return failure(fetch_errc::bad_url, "the request's content type is not valid");
    const auto deadline = clock_type::now() + opts.total_timeout;
    url current = std::move(*first);
    for (int redirects = 0;; ++redirects) {
        hop h = co_await fetch_once(ex, tls, current, req, opts, deadline);
        if (h.error) co_return std::move(*h.error);
        if (!h.location) {
            h.response.final_url = current.to_string();
            co_return std::move(h.response);
        }
        if (req.body)
            co_return failure(fetch_errc::protocol_error,
                              "the server answered the POST with a redirect, which is not followed");
        if (redirects >= opts.max_redirects)
            co_return failure(fetch_errc::too_many_redirects,
                              "more than " + std::to_string(opts.max_redirects) + " redirects");
        auto next = resolve_url(current, *h.location);
        if (!next) co_return url_failure(next.error(), "the redirect target");
        current = std::move(*next);
    }
}

asio::awaitable<std::optional<fetch_error>> check_host_allowed(asio::any_io_executor ex, url u,
                                                               bool allow_private) {
    fetch_options opts;
    opts.allow_private = allow_private;
    auto endpoints = co_await resolve_checked(ex, u, opts);
    if (!endpoints) co_return endpoints.error();
    co_return std::nullopt;
}

} // namespace eelchat::net
