// An HTTP/1.1 (or HTTPS) server on 127.0.0.1 for feed tests, running on its own thread from construction
// to destruction. It serves the files in tests/fixtures/feeds/ ("/rss2.xml", "/atom.xml", "/rdf.xml",
// "/malformed.xml", "/not-a-feed.html"), bodies set by the test, and these routes:
//   /etag.xml            the RSS fixture with ETag "v1" and a Last-Modified; 304 when either matches
//   /gzip.xml            the RSS fixture, Content-Encoding: gzip
//   /chunked.xml         the RSS fixture, Transfer-Encoding: chunked
//   /huge.xml            3 MiB with a Content-Length; /huge-chunked.xml the same, chunked
//   /bomb.xml            16 MiB of XML gzipped to a few KiB
//   /slow.xml            headers and a few bytes, then silence for a minute
//   /trickle.xml         headers, then one byte every 200 ms for a minute
//   /redirect/N          N redirects (301, 302, 307, 308, relative and absolute Locations), then /rss2.xml
//   /redirect-loop       redirects to itself
//   /status/N            status N
//   /not-http            a line of garbage, then the connection closes
// Every request is counted by path (without the query) and its headers are kept for assertions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eelchat::test {

class feed_server {
public:
    struct tls_files {
        std::string cert; // PEM certificate chain
        std::string key;  // PEM private key
    };

    feed_server();                              // http://127.0.0.1:<ephemeral port>
    explicit feed_server(const tls_files& tls); // https://
    ~feed_server();
    feed_server(const feed_server&) = delete;
    feed_server& operator=(const feed_server&) = delete;

    std::uint16_t port() const;
    // "http://127.0.0.1:<port>" + path ("https://..." for a TLS server).
    std::string url(std::string_view path) const;

    // Serves `body` at `path` from now on (replacing a fixture or a previous body).
    void set_body(const std::string& path, std::string body,
                  std::string content_type = "application/rss+xml; charset=utf-8");
    // Answers `path` with a redirect to `location`.
    void set_redirect(const std::string& path, std::string location, int status = 302);

    // How many requests arrived for `path` (the target without its query).
    std::size_t hits(std::string_view path) const;
    // The value of header `name` (case-insensitive) in the last request for `path`, if any; ":method" and
    // ":body" give the request's method and body.
    std::optional<std::string> last_header(std::string_view path, std::string_view name) const;

    // The contents of tests/fixtures/feeds/<name>.
    static std::string fixture(std::string_view name);

    // An RSS 2.0 document with these items in this order (feeds list the newest first), for set_body.
    struct rss_item {
        std::string guid;
        std::string title;
        std::string link;
        std::string pub_date; // RFC 822, e.g. "Sat, 25 May 2024 15:49:51 GMT"; omitted when empty
        std::string description;
    };
    static std::string rss(const std::vector<rss_item>& items, std::string_view title = "Test feed");

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace eelchat::test
