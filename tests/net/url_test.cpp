// URL parsing and Location resolution for the feed fetcher.
#include "net/url.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace eelchat;

namespace {

// The parsed URL in its canonical form, or the error's name, so failures print readably.
std::string parsed(std::string_view text) {
    auto r = net::parse_url(text);
    if (!r) return r.error() == net::url_errc::unsupported_scheme ? "unsupported" : "malformed";
    return r->to_string();
}

std::string resolved(std::string_view base, std::string_view location) {
    auto b = net::parse_url(base);
    REQUIRE(b.has_value());
    auto r = net::resolve_url(*b, location);
    if (!r) return r.error() == net::url_errc::unsupported_scheme ? "unsupported" : "malformed";
    return r->to_string();
}

} // namespace

TEST_CASE("a URL splits into scheme and lower-cased host and default port and target", "[unit][url]") {
    auto u = net::parse_url("HTTPS://Example.COM/Feed.xml?a=1&B=2#top");
    REQUIRE(u.has_value());
    CHECK(u->scheme == "https");
    CHECK(u->host == "example.com");
    CHECK(u->port == 443);
    CHECK(u->target == "/Feed.xml?a=1&B=2");
    CHECK(u->authority() == "example.com");

    auto plain = net::parse_url("http://example.com");
    REQUIRE(plain.has_value());
    CHECK(plain->port == 80);
    CHECK(plain->target == "/");

    auto query_only = net::parse_url("http://example.com?feed=rss");
    REQUIRE(query_only.has_value());
    CHECK(query_only->target == "/?feed=rss");

    auto ported = net::parse_url("http://127.0.0.1:8080/rss");
    REQUIRE(ported.has_value());
    CHECK(ported->host == "127.0.0.1");
    CHECK(ported->port == 8080);
    CHECK(ported->authority() == "127.0.0.1:8080");
    CHECK(ported->to_string() == "http://127.0.0.1:8080/rss");

    CHECK(parsed("http://example.com:80/x") == "http://example.com/x");
    CHECK(parsed("https://example.com:443/x") == "https://example.com/x");
    CHECK(parsed("https://example.com:80/x") == "https://example.com:80/x");
    CHECK(parsed("http://example.com:/x") == "http://example.com/x");
    CHECK(parsed("http://sub-domain.example_host.org./") == "http://sub-domain.example_host.org./");
}

TEST_CASE("IPv6 literals lose their brackets in host and keep them in the authority", "[unit][url]") {
    auto u = net::parse_url("http://[2001:DB8::1]:8080/feed");
    REQUIRE(u.has_value());
    CHECK(u->host == "2001:db8::1");
    CHECK(u->port == 8080);
    CHECK(u->authority() == "[2001:db8::1]:8080");
    CHECK(parsed("http://[::1]/") == "http://[::1]/");
    CHECK(parsed("http://[::ffff:127.0.0.1]/") == "http://[::ffff:127.0.0.1]/");
    CHECK(parsed("http://[fe80::1%25eth0]/") == "malformed");
    CHECK(parsed("http://[not-an-address]/") == "malformed");
    CHECK(parsed("http://[::1/") == "malformed");
    CHECK(parsed("http://[::1]x/") == "malformed");
    CHECK(parsed("http://::1/") == "malformed");
}

TEST_CASE("schemes other than http and https are unsupported rather than malformed", "[unit][url]") {
    CHECK(parsed("ftp://example.com/feed") == "unsupported");
    CHECK(parsed("file:///etc/passwd") == "unsupported");
    CHECK(parsed("gopher://127.0.0.1:6379/_") == "unsupported");
    CHECK(parsed("javascript:alert(1)") == "unsupported");
    CHECK(parsed("mailto:someone@example.com") == "unsupported");
    CHECK(parsed("HtTp://example.com/") == "http://example.com/");
}

TEST_CASE("malformed URLs are refused", "[unit][url]") {
    CHECK(parsed("") == "malformed");
    CHECK(parsed("example.com/feed") == "malformed");
    CHECK(parsed("/feed.xml") == "malformed");
    CHECK(parsed("http:example.com") == "malformed");
    CHECK(parsed("http:/example.com") == "malformed");
    CHECK(parsed("http://") == "malformed");
    CHECK(parsed("http:///feed") == "malformed");
    CHECK(parsed("http://:80/") == "malformed");
    CHECK(parsed("http://user@example.com/") == "malformed");
    CHECK(parsed("http://user:pw@example.com/") == "malformed");
    CHECK(parsed("http://example.com@127.0.0.1/") == "malformed");
    CHECK(parsed("http://exa mple.com/") == "malformed");
    CHECK(parsed("http://example.com/a b") == "malformed");
    CHECK(parsed(" http://example.com/") == "malformed");
    CHECK(parsed("http://example.com/\r\nX-Injected: 1") == "malformed");
    CHECK(parsed(std::string("http://example.com/\0x", 21)) == "malformed");
    CHECK(parsed("http://example.com/\x7f") == "malformed");
    CHECK(parsed("http://example.com\tx/") == "malformed");
    CHECK(parsed("http://example.com:0/") == "malformed");
    CHECK(parsed("http://example.com:65536/") == "malformed");
    CHECK(parsed("http://example.com:123456/") == "malformed");
    CHECK(parsed("http://example.com:8o/") == "malformed");
    CHECK(parsed("http://example.com:-1/") == "malformed");
    CHECK(parsed("http://exämple.com/") == "malformed");
    CHECK(parsed("http://example..com/") == "malformed");
    CHECK(parsed("http://example.com\\@evil.com/") == "malformed");
    CHECK(parsed("http://ex%41mple.com/") == "malformed");
    CHECK(parsed("http://example.com:65535/") == "http://example.com:65535/");
}

TEST_CASE("targets are normalised and unsafe bytes percent-encoded", "[unit][url]") {
    CHECK(parsed("http://example.com/a/./b/../c") == "http://example.com/a/c");
    CHECK(parsed("http://example.com/../../etc") == "http://example.com/etc");
    CHECK(parsed("http://example.com/a/b/..") == "http://example.com/a/");
    CHECK(parsed("http://example.com/a//b") == "http://example.com/a//b");
    CHECK(parsed("http://example.com/caf\xc3\xa9?q=\"x\"") == "http://example.com/caf%C3%A9?q=%22x%22");
    CHECK(parsed("http://example.com/a%20b") == "http://example.com/a%20b");
    CHECK(parsed("http://example.com/p?x=../y") == "http://example.com/p?x=../y");
    CHECK(parsed("http://example.com/feed#frag ment") == "malformed");
    CHECK(parsed("http://example.com/feed#section") == "http://example.com/feed");
}

TEST_CASE("Location headers resolve against the URL that answered", "[unit][url]") {
    const std::string base = "http://a.example/b/c/d;p?q";
    // RFC 3986 5.4.1, the cases that apply to http(s).
    CHECK(resolved(base, "g") == "http://a.example/b/c/g");
    CHECK(resolved(base, "./g") == "http://a.example/b/c/g");
    CHECK(resolved(base, "g/") == "http://a.example/b/c/g/");
    CHECK(resolved(base, "/g") == "http://a.example/g");
    CHECK(resolved(base, "//g.example") == "http://g.example/");
    CHECK(resolved(base, "?y") == "http://a.example/b/c/d;p?y");
    CHECK(resolved(base, "g?y") == "http://a.example/b/c/g?y");
    CHECK(resolved(base, "#s") == "http://a.example/b/c/d;p?q");
    CHECK(resolved(base, "") == "http://a.example/b/c/d;p?q");
    CHECK(resolved(base, ".") == "http://a.example/b/c/");
    CHECK(resolved(base, "..") == "http://a.example/b/");
    CHECK(resolved(base, "../g") == "http://a.example/b/g");
    CHECK(resolved(base, "../../g") == "http://a.example/g");
    CHECK(resolved(base, "../../../g") == "http://a.example/g");
    CHECK(resolved(base, "g;x=1/../y") == "http://a.example/b/c/y");

    CHECK(resolved("http://127.0.0.1:8080/redirect/3", "/redirect/2") == "http://127.0.0.1:8080/redirect/2");
    CHECK(resolved("https://example.com:8443/x", "//other.example/feed") == "https://other.example/feed");
    CHECK(resolved("http://example.com/x", "https://secure.example/feed") == "https://secure.example/feed");
    CHECK(resolved("http://example.com/x", "ftp://example.com/feed") == "unsupported");
    CHECK(resolved("http://example.com/x", "file:///etc/passwd") == "unsupported");
    CHECK(resolved("http://example.com/x", "http://user@evil.example/") == "malformed");
    CHECK(resolved("http://example.com/x", "/a b") == "malformed");
    CHECK(resolved("http://[::1]:81/x", "y") == "http://[::1]:81/y");
}
