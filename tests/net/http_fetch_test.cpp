// The feed fetcher against the in-process feed server: what a subscription sees for good feeds,
// conditional GETs, redirects, broken and hostile servers, private addresses and TLS.
#include "net/http_fetch.hpp"

#include "feeds/parser.hpp"
#include "support/async.hpp"
#include "support/feed_server.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

using namespace eelchat;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

net::fetch_options test_options() {
    net::fetch_options o;
    o.allow_private = true; // the feed server is on 127.0.0.1
    o.connect_timeout = milliseconds(2000);
    o.read_timeout = milliseconds(2000);
    o.total_timeout = milliseconds(10000);
    return o;
}

net::fetch_result fetch(net::fetch_request req, net::fetch_options opts = test_options(),
                        ssl::context* tls = nullptr) {
    asio::io_context ctx;
    ssl::context default_tls(ssl::context::tls_client);
    default_tls.set_verify_mode(ssl::verify_peer);
    auto op = net::fetch(ctx.get_executor(), tls ? *tls : default_tls, std::move(req), std::move(opts));
    return test::run_async(ctx, std::move(op));
}

net::fetch_result fetch(const std::string& url, net::fetch_options opts = test_options()) {
    net::fetch_request req;
    req.url = url;
    return fetch(std::move(req), std::move(opts));
}

// The failure of a fetch that must fail.
net::fetch_error failure_of(const net::fetch_result& r) {
    if (r.has_value()) FAIL("the fetch succeeded with status " << r->status);
    return r.error();
}

// The response of a fetch that must succeed.
net::fetch_response response_of(const net::fetch_result& r) {
    if (!r.has_value())
        FAIL("the fetch failed: " << net::to_string(r.error().reason) << ": " << r.error().message);
    return *r;
}

} // namespace

TEST_CASE("fetching an RSS feed gives its body and validators and final URL", "[unit][fetch]") {
    test::feed_server srv;
    const auto res = response_of(fetch(srv.url("/rss2.xml")));
    CHECK(res.status == 200);
    CHECK(res.body == test::feed_server::fixture("rss2.xml"));
    CHECK(res.final_url == srv.url("/rss2.xml"));
    CHECK_FALSE(res.etag);
    CHECK(srv.hits("/rss2.xml") == 1);
    CHECK(srv.last_header("/rss2.xml", "user-agent") == "eelchat-feeds/1.0");
    CHECK(srv.last_header("/rss2.xml", "accept-encoding") == "gzip, deflate");
    CHECK(srv.last_header("/rss2.xml", "host") == "127.0.0.1:" + std::to_string(srv.port()));
    CHECK_FALSE(srv.last_header("/rss2.xml", "if-none-match"));
    auto feed = feeds::parse_feed(res.body);
    REQUIRE(feed.has_value());
    CHECK(feed->entries.size() == 3);
}

TEST_CASE("gzip and chunked responses are decoded", "[unit][fetch]") {
    test::feed_server srv;
    CHECK(response_of(fetch(srv.url("/gzip.xml"))).body == test::feed_server::fixture("rss2.xml"));
    CHECK(response_of(fetch(srv.url("/chunked.xml"))).body == test::feed_server::fixture("rss2.xml"));
}

TEST_CASE("a changed body is fetched anew each time", "[unit][fetch]") {
    test::feed_server srv;
    using item = test::feed_server::rss_item;
    const std::vector<item> one{
        {"a", "First", "https://x.example/a", "Mon, 20 May 2024 08:00:00 GMT", "one"}};
    srv.set_body("/updating.xml", test::feed_server::rss(one));
    auto first = feeds::parse_feed(response_of(fetch(srv.url("/updating.xml"))).body);
    REQUIRE(first.has_value());
    CHECK(first->entries.size() == 1);

    const std::vector<item> two{{"b", "Second & last", "https://x.example/b", "", "<two>"}, one[0]};
    srv.set_body("/updating.xml", test::feed_server::rss(two));
    auto second = feeds::parse_feed(response_of(fetch(srv.url("/updating.xml"))).body);
    REQUIRE(second.has_value());
    REQUIRE(second->entries.size() == 2);
    CHECK(second->entries[0].id == "b");
    CHECK(second->entries[0].title == "Second & last");
    CHECK(second->entries[0].summary == "<two>");
    CHECK(srv.hits("/updating.xml") == 2);
}

TEST_CASE("a server that does not speak HTTP fails with protocol_error", "[unit][fetch]") {
    test::feed_server srv;
    const auto e = failure_of(fetch(srv.url("/not-http")));
    CHECK(e.reason == net::fetch_errc::protocol_error);
    CHECK_THAT(e.message, Catch::StartsWith("not a valid HTTP response"));
}

TEST_CASE("conditional GET: validators are sent back and 304 means not modified", "[unit][fetch]") {
    test::feed_server srv;
    const auto first = response_of(fetch(srv.url("/etag.xml")));
    CHECK(first.status == 200);
    REQUIRE(first.etag);
    REQUIRE(first.last_modified);
    CHECK(*first.etag == "\"v1\"");
    CHECK(*first.last_modified == "Sat, 25 May 2024 15:49:51 GMT");

    net::fetch_request again;
    again.url = srv.url("/etag.xml");
    again.etag = first.etag;
    const auto second = response_of(fetch(again));
    CHECK(second.status == 304);
    CHECK(second.body.empty());
    CHECK(srv.last_header("/etag.xml", "if-none-match") == "\"v1\"");
    CHECK_FALSE(srv.last_header("/etag.xml", "if-modified-since"));

    net::fetch_request by_date;
    by_date.url = srv.url("/etag.xml");
    by_date.last_modified = first.last_modified;
    CHECK(response_of(fetch(by_date)).status == 304);
    CHECK(srv.last_header("/etag.xml", "if-modified-since") == "Sat, 25 May 2024 15:49:51 GMT");

    net::fetch_request stale;
    stale.url = srv.url("/etag.xml");
    stale.etag = "\"v0\"";
    CHECK(response_of(fetch(stale)).status == 200);
    CHECK(srv.hits("/etag.xml") == 4);

    // A stored validator that would break the request line is not sent.
    net::fetch_request injected;
    injected.url = srv.url("/etag.xml");
    injected.etag = "\"v1\"\r\nX-Injected: yes";
    CHECK(response_of(fetch(injected)).status == 200);
    CHECK_FALSE(srv.last_header("/etag.xml", "x-injected"));
    CHECK_FALSE(srv.last_header("/etag.xml", "if-none-match"));
}

TEST_CASE("up to 5 redirects are followed (relative or absolute) and more fail", "[unit][fetch]") {
    test::feed_server srv;
    const auto res = response_of(fetch(srv.url("/redirect/5")));
    CHECK(res.status == 200);
    CHECK(res.body == test::feed_server::fixture("rss2.xml"));
    CHECK(res.final_url == srv.url("/rss2.xml"));
    for (int n = 1; n <= 5; ++n)
        CHECK(srv.hits("/redirect/" + std::to_string(n)) == 1);

    const auto six = failure_of(fetch(srv.url("/redirect/6")));
    CHECK(six.reason == net::fetch_errc::too_many_redirects);
    CHECK(six.message == "more than 5 redirects");
    CHECK(srv.hits("/rss2.xml") == 1); // the sixth redirect was not followed

    const auto loop = failure_of(fetch(srv.url("/redirect-loop")));
    CHECK(loop.reason == net::fetch_errc::too_many_redirects);
    CHECK(srv.hits("/redirect-loop") == 6);
}

TEST_CASE("redirects to other schemes or to malformed or missing Locations fail", "[unit][fetch]") {
    test::feed_server srv;
    srv.set_redirect("/ftp", "ftp://example.com/feed.xml", 301);
    CHECK(failure_of(fetch(srv.url("/ftp"))).reason == net::fetch_errc::unsupported_scheme);
    srv.set_redirect("/bad", "http://user@example.com/", 302);
    CHECK(failure_of(fetch(srv.url("/bad"))).reason == net::fetch_errc::bad_url);
    srv.set_redirect("/nowhere", "", 302);
    const auto missing = failure_of(fetch(srv.url("/nowhere")));
    CHECK(missing.reason == net::fetch_errc::protocol_error);
    CHECK(missing.message == "HTTP 302 redirect without a Location header");
}

TEST_CASE("error statuses fail with the code", "[unit][fetch]") {
    test::feed_server srv;
    const auto e = failure_of(fetch(srv.url("/status/404")));
    CHECK(e.reason == net::fetch_errc::http_status);
    CHECK(e.http_status == 404);
    CHECK(e.message == "HTTP 404");
    CHECK_THROWS_WITH(fetch(srv.url("/status/404")).value(), "fetch failed: HTTP 404");
    CHECK(failure_of(fetch(srv.url("/status/503"))).http_status == 503);
    CHECK(failure_of(fetch(srv.url("/status/204"))).http_status == 204);
    CHECK(failure_of(fetch(srv.url("/no-such-feed.xml"))).http_status == 404);
}

TEST_CASE("responses over the size limit fail whether received or decompressed", "[unit][fetch]") {
    test::feed_server srv;
    const auto huge = failure_of(fetch(srv.url("/huge.xml")));
    CHECK(huge.reason == net::fetch_errc::too_large);
    CHECK(huge.message == "response larger than 2 MiB");
    CHECK(failure_of(fetch(srv.url("/huge-chunked.xml"))).reason == net::fetch_errc::too_large);
    const auto bomb = failure_of(fetch(srv.url("/bomb.xml")));
    CHECK(bomb.reason == net::fetch_errc::too_large);
    CHECK(bomb.message == "response larger than 2 MiB once decompressed");

    auto small = test_options();
    small.max_body = 1024;
    const auto limited = failure_of(fetch(srv.url("/rss2.xml"), small));
    CHECK(limited.reason == net::fetch_errc::too_large);
    CHECK(limited.message == "response larger than 1 KiB");
}

TEST_CASE("a silent server times out after the read timeout", "[unit][fetch]") {
    test::feed_server srv;
    auto opts = test_options();
    opts.read_timeout = milliseconds(300);
    const auto start = steady_clock::now();
    const auto e = failure_of(fetch(srv.url("/slow.xml"), opts));
    const auto took = steady_clock::now() - start;
    CHECK(e.reason == net::fetch_errc::timeout);
    CHECK(e.message == "timed out waiting for the server");
    CHECK(took >= milliseconds(300));
    CHECK(took < milliseconds(3000));
}

TEST_CASE("a server trickling bytes is cut off by the total deadline", "[unit][fetch]") {
    test::feed_server srv;
    auto opts = test_options();
    opts.read_timeout = milliseconds(1000); // each byte arrives well within it
    opts.total_timeout = milliseconds(1500);
    const auto start = steady_clock::now();
    const auto e = failure_of(fetch(srv.url("/trickle.xml"), opts));
    const auto took = steady_clock::now() - start;
    CHECK(e.reason == net::fetch_errc::timeout);
    CHECK(e.message == "timed out: no complete response within 1500 ms");
    CHECK(took >= milliseconds(1500));
    CHECK(took < milliseconds(4000));
}

TEST_CASE("private addresses are refused before connecting unless allowed", "[unit][fetch]") {
    test::feed_server srv;
    auto strict = test_options();
    strict.allow_private = false;
    const auto literal = failure_of(fetch(srv.url("/rss2.xml"), strict));
    CHECK(literal.reason == net::fetch_errc::private_address);
    CHECK(literal.message == "127.0.0.1 is not a public address");

    const auto named =
        failure_of(fetch("http://localhost:" + std::to_string(srv.port()) + "/rss2.xml", strict));
    CHECK(named.reason == net::fetch_errc::private_address);
    // The refusal does not say what the name resolved to (it would map the server's network).
    CHECK(named.message == "localhost is not a public host");
    CHECK(named.message.find("127.0.0.1") == std::string::npos);

    const auto mapped =
        failure_of(fetch("http://[::ffff:127.0.0.1]:" + std::to_string(srv.port()) + "/", strict));
    CHECK(mapped.reason == net::fetch_errc::private_address);
    CHECK(srv.hits("/rss2.xml") == 0);

    CHECK(response_of(fetch(srv.url("/rss2.xml"))).status == 200); // allow_private
}

TEST_CASE("every redirect hop is checked against the address policy", "[unit][fetch]") {
    test::feed_server srv;
    auto opts = test_options();
    opts.allow_private = false;
    opts.address_allowed = [](const asio::ip::address& a) {
        return a == asio::ip::make_address("127.0.0.1");
    };
    srv.set_redirect("/away", "http://127.0.0.2:" + std::to_string(srv.port()) + "/rss2.xml", 302);
    const auto e = failure_of(fetch(srv.url("/away"), opts));
    CHECK(e.reason == net::fetch_errc::private_address);
    CHECK(e.message == "127.0.0.2 is not a public address");
    CHECK(srv.hits("/away") == 1);
    CHECK(response_of(fetch(srv.url("/redirect/2"), opts)).status == 200); // hops on the allowed address
}

TEST_CASE("the /subscribe check refuses private hosts", "[unit][fetch]") {
    asio::io_context ctx;
    auto check = [&](const std::string& text, bool allow_private) {
        auto u = net::parse_url(text);
        REQUIRE(u.has_value());
        return test::run_async(ctx, net::check_host_allowed(ctx.get_executor(), *u, allow_private));
    };
    const auto loopback = check("http://127.0.0.1/feed", false);
    REQUIRE(loopback);
    CHECK(loopback->reason == net::fetch_errc::private_address);
    const auto metadata = check("http://169.254.169.254/latest/meta-data/", false);
    REQUIRE(metadata);
    CHECK(metadata->message == "169.254.169.254 is not a public address");
    const auto named = check("http://localhost:8080/", false);
    REQUIRE(named);
    CHECK(named->reason == net::fetch_errc::private_address);
    CHECK_FALSE(check("http://127.0.0.1/feed", true));
    CHECK_FALSE(check("http://8.8.8.8/feed", false)); // a literal needs no DNS
    const auto unknown = check("http://no-such-host.invalid/", true);
    REQUIRE(unknown);
    CHECK(unknown->reason == net::fetch_errc::resolve_failed);
    CHECK(unknown->message == "host not found (no-such-host.invalid)");
}

TEST_CASE("bad URLs and unknown hosts and closed ports fail with their reason", "[unit][fetch]") {
    const auto bad = failure_of(fetch("not a url"));
    CHECK(bad.reason == net::fetch_errc::bad_url);
    CHECK(bad.message == "the feed address is not a valid URL");
    CHECK(failure_of(fetch("file:///etc/passwd")).reason == net::fetch_errc::unsupported_scheme);
    CHECK(failure_of(fetch("http://no-such-host.invalid/feed")).reason == net::fetch_errc::resolve_failed);

    std::uint16_t closed_port;
    {
        asio::io_context ctx;
        asio::ip::tcp::acceptor a(ctx, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        closed_port = a.local_endpoint().port();
    }
    const auto refused = failure_of(fetch("http://127.0.0.1:" + std::to_string(closed_port) + "/feed"));
    CHECK(refused.reason == net::fetch_errc::connect_failed);
    CHECK_THAT(refused.message,
               Catch::StartsWith("cannot connect to 127.0.0.1:" + std::to_string(closed_port)));
}

// --- HTTPS ------------------------------------------------------------------------------------------

namespace {

namespace fs = std::filesystem;

// Self-signed certificates made once per test process with the openssl CLI, removed at exit.
class test_certificates {
public:
    test_certificates() {
        char dir[] = "/tmp/eelchat-feeds-XXXXXX";
        REQUIRE(::mkdtemp(dir) != nullptr);
        dir_ = dir;
        make("server", "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1");
        make("other", "-subj /CN=feeds.invalid -addext subjectAltName=DNS:feeds.invalid");
    }
    ~test_certificates() {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    test_certificates(const test_certificates&) = delete;
    test_certificates& operator=(const test_certificates&) = delete;

    test::feed_server::tls_files files(const std::string& name) const { return {cert(name), key(name)}; }
    std::string cert(const std::string& name) const { return (dir_ / (name + ".pem")).string(); }
    std::string key(const std::string& name) const { return (dir_ / (name + ".key")).string(); }

private:
    void make(const std::string& name, const std::string& args) {
        const std::string cmd =
            "openssl req -x509 -nodes -days 2 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 " + args +
            " -keyout '" + key(name) + "' -out '" + cert(name) + "' >/dev/null 2>&1";
        REQUIRE(std::system(cmd.c_str()) == 0);
    }

    fs::path dir_;
};

const test_certificates& certificates() {
    static test_certificates c;
    return c;
}

ssl::context client_context(const std::string& ca_file) {
    ssl::context ctx(ssl::context::tls_client);
    if (!ca_file.empty()) ctx.load_verify_file(ca_file);
    ctx.set_verify_mode(ssl::verify_peer);
    return ctx;
}

net::fetch_result fetch_tls(const std::string& url, ssl::context& tls) {
    net::fetch_request req;
    req.url = url;
    return fetch(std::move(req), test_options(), &tls);
}

} // namespace

TEST_CASE("HTTPS with a trusted certificate for the host", "[unit][fetch][tls]") {
    test::feed_server srv(certificates().files("server"));
    auto tls = client_context(certificates().cert("server"));
    const auto res = response_of(fetch_tls(srv.url("/gzip.xml"), tls));
    CHECK(res.status == 200);
    CHECK(res.body == test::feed_server::fixture("rss2.xml"));
    CHECK(res.final_url == "https://127.0.0.1:" + std::to_string(srv.port()) + "/gzip.xml");
    // By name too: SNI and host name verification use "localhost".
    const auto named =
        response_of(fetch_tls("https://localhost:" + std::to_string(srv.port()) + "/rss2.xml", tls));
    CHECK(named.status == 200);
}

TEST_CASE("HTTPS fails for an untrusted certificate or one for another host", "[unit][fetch][tls]") {
    test::feed_server srv(certificates().files("server"));
    auto untrusted = client_context("");
    const auto e = failure_of(fetch_tls(srv.url("/rss2.xml"), untrusted));
    CHECK(e.reason == net::fetch_errc::tls_error);
    CHECK_THAT(e.message, Catch::Contains("certificate verify failed"));

    test::feed_server other(certificates().files("other"));
    auto trusts_other = client_context(certificates().cert("other"));
    CHECK(failure_of(fetch_tls(other.url("/rss2.xml"), trusts_other)).reason == net::fetch_errc::tls_error);
    CHECK(other.hits("/rss2.xml") == 0);
}

TEST_CASE("a POST sends its body, content type and headers and follows no redirect", "[unit][fetch]") {
    test::feed_server srv;
    srv.set_body("/token", R"({"ok":true})", "application/json");
    net::fetch_request req;
    req.url = srv.url("/token");
    req.body = "grant_type=authorization_code&code=abc";
    req.content_type = "application/x-www-form-urlencoded";
    req.accept = "application/json";
    req.headers.emplace_back("Authorization", "Basic YTpi");
    const auto res = response_of(fetch(req));
    CHECK(res.body == R"({"ok":true})");
    CHECK(srv.last_header("/token", ":method") == "POST");
    CHECK(srv.last_header("/token", ":body") == "grant_type=authorization_code&code=abc");
    CHECK(srv.last_header("/token", "content-type") == "application/x-www-form-urlencoded");
    CHECK(srv.last_header("/token", "content-length") == "38");
    CHECK(srv.last_header("/token", "accept") == "application/json");
    CHECK(srv.last_header("/token", "authorization") == "Basic YTpi");

    req.url = srv.url("/redirect/1");
    const auto e = failure_of(fetch(req));
    CHECK(e.reason == net::fetch_errc::protocol_error);
    CHECK(srv.hits("/rss2.xml") == 0);

    req.url = srv.url("/token");
    req.headers.emplace_back("X-Bad", "a\r\nInjected: 1");
    CHECK(failure_of(fetch(req)).reason == net::fetch_errc::bad_url);
}
