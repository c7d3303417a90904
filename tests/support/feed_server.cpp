#include "support/feed_server.hpp"

#include "feeds/html_text.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <zlib.h>

#include <charconv>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace eelchat::test {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;

constexpr std::string_view last_modified = "Sat, 25 May 2024 15:49:51 GMT";

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string gzip(std::string_view data) {
    z_stream zs{};
    if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("deflateInit2 failed");
    std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
    return out;
}

// 3 MiB of well-formed XML, bigger than the fetcher's 2 MiB limit.
std::string huge_body() {
    std::string body = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><!--";
    body.append(3 * 1024 * 1024, 'x');
    body += "--></channel></rss>";
    return body;
}

// Server coroutines end with the io_context; an exception escaping one is a bug in this file.
void report(std::exception_ptr e) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        std::fprintf(stderr, "feed_server: %s\n", ex.what());
    }
}

std::optional<int> number(std::string_view s) {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string content_type_for(std::string_view path) {
    if (path.ends_with(".html")) return "text/html; charset=utf-8";
    if (path.ends_with(".xml")) return "application/xml; charset=utf-8";
    return "text/plain; charset=utf-8";
}

} // namespace

struct feed_server::impl {
    struct canned {
        std::string body;
        std::string content_type;
    };
    struct redirect {
        std::string location;
        int status;
    };

    explicit impl(const tls_files* tls) : tls_ctx(ssl::context::tls_server), acceptor(ioc) {
        if (tls) {
            use_tls = true;
            tls_ctx.use_certificate_chain_file(tls->cert);
            tls_ctx.use_private_key_file(tls->key, ssl::context::pem);
        }
        const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
        acceptor.open(ep.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        acceptor.bind(ep);
        acceptor.listen();
        port = acceptor.local_endpoint().port();
        asio::co_spawn(ioc, accept_loop(), report); // ends with the io_context
        thread = std::thread([this] { ioc.run(); });
    }

    ~impl() {
        ioc.stop();
        thread.join();
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            error_code ec;
            tcp::socket socket =
                co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
            asio::co_spawn(ioc, connection(std::move(socket)), report);
        }
    }

    asio::awaitable<void> connection(tcp::socket socket) {
        beast::tcp_stream tcp_stream(std::move(socket));
        if (!use_tls) {
            co_await serve(tcp_stream);
            co_return;
        }
        ssl::stream<beast::tcp_stream> stream(std::move(tcp_stream), tls_ctx);
        error_code ec;
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
        co_await stream.async_handshake(ssl::stream_base::server,
                                        asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) co_await serve(stream);
    }

    template <class Stream> asio::awaitable<void> serve(Stream& stream) {
        beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> req;
            error_code ec;
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
            co_await http::async_read(stream, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
            const bool keep_going = co_await respond(stream, req);
            if (!keep_going || !req.keep_alive()) co_return;
        }
    }

    // Records the request, answers it; false when the connection must end.
    template <class Stream>
    asio::awaitable<bool> respond(Stream& stream, const http::request<http::string_body>& req) {
        const std::string_view target = req.target();
        const std::string path(target.substr(0, target.find('?')));
        std::optional<canned> body;
        std::optional<redirect> moved;
        {
            std::lock_guard lock(mutex);
            ++hit_counts[path];
            auto& headers = last_headers[path];
            headers.clear();
            for (const auto& f : req)
                headers[lower(f.name_string())] = std::string(f.value());
            // Pseudo-headers, so POST tests can see what was sent.
            headers[":method"] = std::string(req.method_string());
            headers[":body"] = req.body();
            if (auto it = bodies.find(path); it != bodies.end()) body = it->second;
            if (auto it = redirects.find(path); it != redirects.end()) moved = it->second;
        }

        http::response<http::string_body> res{http::status::ok, req.version()};
        res.keep_alive(req.keep_alive());
        if (body) {
            res.set(http::field::content_type, body->content_type);
            res.body() = body->body;
        } else if (moved) {
            res.result(static_cast<unsigned>(moved->status));
            res.set(http::field::location, moved->location);
        } else if (path == "/slow.xml" || path == "/trickle.xml") {
            co_await stall(stream, path == "/trickle.xml");
            co_return false;
        } else if (path.starts_with("/redirect/")) {
            const auto n = number(std::string_view(path).substr(10));
            if (!n || *n < 1) {
                res.result(http::status::not_found);
            } else {
                static constexpr unsigned codes[] = {301, 302, 307, 308};
                res.result(codes[*n % 4]);
                // Alternate absolute and relative forms; the last hop uses a dot segment.
                const std::string next = "/redirect/" + std::to_string(*n - 1);
                if (*n == 1)
                    res.set(http::field::location, "../rss2.xml");
                else if (*n % 2 == 0)
                    res.set(http::field::location, url_for(next));
                else
                    res.set(http::field::location, next);
            }
        } else if (path == "/not-http") {
            error_code ec;
            static constexpr std::string_view banner = "SSH-2.0-OpenSSH_9.2\r\n";
            co_await asio::async_write(stream, asio::buffer(banner),
                                       asio::redirect_error(asio::use_awaitable, ec));
            co_return false;
        } else if (path == "/redirect-loop") {
            res.result(http::status::found);
            res.set(http::field::location, "/redirect-loop");
        } else if (path.starts_with("/status/")) {
            const auto n = number(std::string_view(path).substr(8));
            res.result(n && *n >= 200 && *n <= 599 ? static_cast<unsigned>(*n) : 400u);
            if (res.result() != http::status::no_content && res.result() != http::status::not_modified) {
                res.set(http::field::content_type, "text/plain");
                res.body() = "status " + path.substr(8) + "\n";
            }
        } else if (path == "/etag.xml") {
            res.set(http::field::etag, "\"v1\"");
            res.set(http::field::last_modified, last_modified);
            if (req[http::field::if_none_match] == "\"v1\"" ||
                req[http::field::if_modified_since] == last_modified) {
                res.result(http::status::not_modified);
            } else {
                res.set(http::field::content_type, "application/rss+xml");
                res.body() = fixture("rss2.xml");
            }
        } else if (path == "/gzip.xml") {
            res.set(http::field::content_type, "application/rss+xml");
            res.set(http::field::content_encoding, "gzip");
            res.body() = gzip(fixture("rss2.xml"));
        } else if (path == "/chunked.xml") {
            res.set(http::field::content_type, "application/rss+xml");
            res.body() = fixture("rss2.xml");
            res.chunked(true);
        } else if (path == "/huge.xml" || path == "/huge-chunked.xml") {
            res.set(http::field::content_type, "application/rss+xml");
            res.body() = huge_body();
            if (path == "/huge-chunked.xml") res.chunked(true);
        } else if (path == "/bomb.xml") {
            res.set(http::field::content_type, "application/rss+xml");
            res.set(http::field::content_encoding, "gzip");
            std::string xml = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><!--";
            xml.append(16 * 1024 * 1024, ' ');
            xml += "--></channel></rss>";
            res.body() = gzip(xml);
        } else if (auto text = read_fixture(path.substr(1))) {
            res.set(http::field::content_type, content_type_for(path));
            res.body() = std::move(*text);
        } else {
            res.result(http::status::not_found);
            res.set(http::field::content_type, "text/plain");
            res.body() = "not found\n";
        }
        if (!res.chunked()) res.prepare_payload();
        error_code ec;
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
        co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
        co_return !ec;
    }

    // Promises 100000 bytes, sends a few (or one every 200 ms), and otherwise stays silent for a minute.
    template <class Stream> asio::awaitable<void> stall(Stream& stream, bool trickle) {
        const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                                 "Content-Length: 100000\r\n\r\n<?xml version=\"1.0\"?>";
        error_code ec;
        beast::get_lowest_layer(stream).expires_never();
        co_await asio::async_write(stream, asio::buffer(head), asio::redirect_error(asio::use_awaitable, ec));
        asio::steady_timer timer(co_await asio::this_coro::executor);
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (!ec && std::chrono::steady_clock::now() < until) {
            timer.expires_after(trickle ? std::chrono::milliseconds(200) : std::chrono::seconds(60));
            co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (ec || !trickle) break;
            co_await asio::async_write(stream, asio::buffer(" ", 1),
                                       asio::redirect_error(asio::use_awaitable, ec));
        }
    }

    std::string url_for(std::string_view path) const {
        return std::string(use_tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port) +
               std::string(path);
    }

    static std::optional<std::string> read_fixture(std::string_view name) {
        if (name.empty() || name.find('/') != std::string_view::npos || name.starts_with('.'))
            return std::nullopt;
        const auto file =
            std::filesystem::path(__FILE__).parent_path().parent_path() / "fixtures" / "feeds" / name;
        std::ifstream in(file, std::ios::binary);
        if (!in) return std::nullopt;
        std::ostringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    asio::io_context ioc;
    ssl::context tls_ctx;
    bool use_tls = false;
    tcp::acceptor acceptor;
    std::uint16_t port = 0;
    std::thread thread;

    mutable std::mutex mutex;
    std::map<std::string, canned, std::less<>> bodies;
    std::map<std::string, redirect, std::less<>> redirects;
    std::map<std::string, std::size_t, std::less<>> hit_counts;
    std::map<std::string, std::map<std::string, std::string>, std::less<>> last_headers;
};

feed_server::feed_server() : impl_(std::make_unique<impl>(nullptr)) {}
feed_server::feed_server(const tls_files& tls) : impl_(std::make_unique<impl>(&tls)) {}
feed_server::~feed_server() = default;

std::uint16_t feed_server::port() const {
    return impl_->port;
}

std::string feed_server::url(std::string_view path) const {
    return impl_->url_for(path);
}

void feed_server::set_body(const std::string& path, std::string body, std::string content_type) {
    std::lock_guard lock(impl_->mutex);
    impl_->redirects.erase(path);
    impl_->bodies[path] = impl::canned{std::move(body), std::move(content_type)};
}

void feed_server::set_redirect(const std::string& path, std::string location, int status) {
    std::lock_guard lock(impl_->mutex);
    impl_->bodies.erase(path);
    impl_->redirects[path] = impl::redirect{std::move(location), status};
}

std::size_t feed_server::hits(std::string_view path) const {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->hit_counts.find(path);
    return it == impl_->hit_counts.end() ? 0 : it->second;
}

std::optional<std::string> feed_server::last_header(std::string_view path, std::string_view name) const {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->last_headers.find(path);
    if (it == impl_->last_headers.end()) return std::nullopt;
    auto h = it->second.find(lower(name));
    if (h == it->second.end()) return std::nullopt;
    return h->second;
}

std::string feed_server::fixture(std::string_view name) {
    auto text = impl::read_fixture(name);
    if (!text) throw std::runtime_error("no fixture " + std::string(name));
    return std::move(*text);
}

std::string feed_server::rss(const std::vector<rss_item>& items, std::string_view title) {
    const auto esc = [](std::string_view text) { return feeds::escape_html(text); };
    std::string xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\">\n<channel>\n<title>" + esc(title) +
        "</title>\n<link>https://feeds.example/</link>\n";
    for (const auto& item : items) {
        xml += "<item>";
        if (!item.guid.empty()) xml += "<guid isPermaLink=\"false\">" + esc(item.guid) + "</guid>";
        if (!item.title.empty()) xml += "<title>" + esc(item.title) + "</title>";
        if (!item.link.empty()) xml += "<link>" + esc(item.link) + "</link>";
        if (!item.pub_date.empty()) xml += "<pubDate>" + esc(item.pub_date) + "</pubDate>";
        if (!item.description.empty()) xml += "<description>" + esc(item.description) + "</description>";
        xml += "</item>\n";
    }
    xml += "</channel>\n</rss>\n";
    return xml;
}

} // namespace eelchat::test
