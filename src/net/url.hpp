// Absolute http and https URLs as the feed fetcher needs them: parsed into what a connection and a
// request line use, and Location headers resolved against the URL that answered (RFC 3986 5.2).
// Pure functions: no DNS, no sockets.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace eelchat::net {

enum class url_errc {
    malformed = 1,      // not an absolute URL we accept (syntax, userinfo, spaces, control characters, port)
    unsupported_scheme, // a well-formed URL whose scheme is not http or https
};

const boost::system::error_category& url_category() noexcept;
inline boost::system::error_code make_error_code(url_errc e) noexcept {
    return {static_cast<int>(e), url_category()};
}

struct url {
    std::string scheme; // "http" or "https"
    std::string host;   // lower-cased; an IPv6 literal without its brackets
    std::uint16_t port = 0;
    std::string target; // path and query, never empty ("/"); the fragment is dropped

    bool https() const noexcept { return scheme == "https"; }
    bool default_port() const noexcept { return port == (https() ? 443 : 80); }
    // The Host header value: the host (bracketed when IPv6) and ":port" unless it is the default.
    std::string authority() const;
    // scheme://authority target, the form stored and shown.
    std::string to_string() const;

    bool operator==(const url&) const = default;
};

// Parses an absolute http(s) URL. The scheme and host are case-insensitive (returned lower-cased); the
// port defaults to 80 or 443. Refused as malformed: anything without "scheme://host", userinfo ("u@h"),
// an empty host, a host with characters outside [a-z0-9.-_] (IDNs must arrive punycoded), an IPv6 literal
// that does not parse (or has a zone id), a port outside 1..65535, spaces or control characters anywhere.
// Bytes that are not allowed raw in a request target (non-ASCII, '"', '<', '>', '\\', '^', '`', '{', '|',
// '}') are percent-encoded. A scheme other than http or https is url_errc::unsupported_scheme.
boost::system::result<url> parse_url(std::string_view text);

// Resolves a reference (a Location header: absolute, scheme-relative "//host/p", absolute-path "/p",
// relative "p", query-only "?q" or empty) against `base`, removing "." and ".." segments. The result
// obeys the same rules as parse_url.
boost::system::result<url> resolve_url(const url& base, std::string_view reference);

} // namespace eelchat::net

template <> struct boost::system::is_error_code_enum<eelchat::net::url_errc> : std::true_type {};
