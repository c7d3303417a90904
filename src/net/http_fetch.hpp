// An HTTP(S) client for fetching feeds from URLs that untrusted users supply (GET), and for the few POSTs
// eelchat makes to servers its administrator configured (the single sign-on provider's token endpoint).
//
// Safety: every address a host resolves to (for the first request and for each redirect) must pass
// is_public_address unless allow_private is set, and the connection goes only to the addresses that were
// checked (no second lookup, so no DNS-rebinding window). TLS certificates are verified against the
// caller's ssl::context and the host name. The body is bounded both as received and once decompressed.
//
// Time: connect and each read have their own timeout, and a total deadline bounds the whole fetch
// (redirects included) so a server trickling bytes cannot hold it. The DNS lookup (net/dns.hpp) runs off
// the I/O thread with a deadline of its own, so a name that never answers holds up nothing else.
#pragma once

#include "net/url.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eelchat::net {

struct fetch_request {
    std::string url;
    std::optional<std::string> etag;          // sent as If-None-Match
    std::optional<std::string> last_modified; // sent as If-Modified-Since
    // Set: the request is a POST of this body with `content_type`. A POST follows no redirect (its body
    // would go to wherever the server points), sends no conditional headers, and succeeds on any 2xx.
    std::optional<std::string> body;
    std::string content_type;
    std::string accept; // empty: the feed formats
    // More request headers (Authorization, ...). A name or value with a control character is a bug: the
    // request is refused with bad_url rather than sent.
    std::vector<std::pair<std::string, std::string>> headers;
};

struct fetch_options {
    std::chrono::milliseconds connect_timeout{5000}; // per connection (each redirect hop connects anew)
    std::chrono::milliseconds read_timeout{5000};    // per read: the longest the server may stay silent
    std::chrono::milliseconds total_timeout{30000};  // the whole fetch, redirects included
    std::chrono::milliseconds resolve_timeout{5000}; // each DNS lookup
    std::size_t max_body = 2 * 1024 * 1024;          // bytes received, and bytes after decompression
    int max_redirects = 5;
    bool allow_private = false; // FEEDS_ALLOW_PRIVATE=1: tests and local setups
    std::string user_agent = "eelchat-feeds/1.0";
    // When set, replaces is_public_address as the address check (unless allow_private). Tests use it to
    // allow one loopback address and refuse another.
    std::function<bool(const boost::asio::ip::address&)> address_allowed;
};

enum class fetch_errc {
    bad_url = 1,        // the URL (or a Location header) is malformed
    unsupported_scheme, // not http or https (also for a redirect)
    private_address,    // the host resolves to an address the policy refuses
    resolve_failed,     // DNS: no such host, or the lookup failed
    connect_failed,     // every address refused or was unreachable
    tls_error,          // handshake or certificate verification failed
    timeout,            // connect, a read, or the total deadline
    too_many_redirects,
    too_large,      // the body (received or decompressed) exceeds max_body
    http_status,    // a status other than 200, 304 or a followed redirect
    bad_encoding,   // a Content-Encoding we cannot decode, or a corrupt compressed body
    protocol_error, // not HTTP, a malformed response, a redirect without Location, a dropped connection
};

// The enumerator's name ("private_address"), for log fields.
std::string_view to_string(fetch_errc e) noexcept;

struct fetch_error {
    fetch_errc reason{};
    int http_status = 0; // for http_status
    // One short sentence for a log line and for the subscription's stored error, e.g. "HTTP 404",
    // "timed out waiting for the server", "response larger than 2 MiB", "127.0.0.1 is not a public
    // address", "feeds.example is not a public host" (never the addresses it resolved to), "host not
    // found (x.invalid)".
    std::string message;
};

// Lets boost::system::result<T, fetch_error>::value() throw.
[[noreturn]] void throw_exception_from_error(const fetch_error& e, const boost::source_location& loc);

struct fetch_response {
    int status = 200; // 200, or 304 when the conditional headers matched (body then empty)
    std::string body; // decompressed
    std::optional<std::string> etag;
    std::optional<std::string> last_modified;
    std::string final_url; // after redirects
};

using fetch_result = boost::system::result<fetch_response, fetch_error>;

// The TLS context fetch wants for public servers: the system's CA certificates, peers verified (fetch
// checks the host name on each connection).
boost::asio::ssl::context verifying_client_tls();

// GETs req.url (or POSTs req.body, without following redirects), following up to opts.max_redirects
// redirects (301, 302, 303, 307, 308). Sends
// If-None-Match / If-Modified-Since when known, Accept-Encoding gzip and deflate, Connection: close.
// Completes with the response or a fetch_error; never throws for network or server behaviour.
// Cancellation: none beyond the timeouts in opts; `tls` must outlive the operation.
boost::asio::awaitable<fetch_result> fetch(boost::asio::any_io_executor ex, boost::asio::ssl::context& tls,
                                           fetch_request req, fetch_options opts);

// Resolves u.host and refuses it (private_address, resolve_failed) when any of its addresses fails the
// address policy, unless allow_private. /subscribe calls this to refuse a private host before storing it;
// fetch checks again on every connection. Completes with nullopt when the host is allowed.
// Cancellation: none; bounded by the lookup's deadline (fetch_options::resolve_timeout).
boost::asio::awaitable<std::optional<fetch_error>> check_host_allowed(boost::asio::any_io_executor ex, url u,
                                                                      bool allow_private);

} // namespace eelchat::net
