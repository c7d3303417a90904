#include "metrics/endpoint.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace eelchat::metrics {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// The answer to one request. Only the path counts: Prometheus may add a query string.
http::response<http::string_body> answer(const http::request<http::empty_body>& req, registry& reg) {
    std::string_view target = req.target();
    target = target.substr(0, target.find('?'));
    http::response<http::string_body> res;
    res.version(req.version());
    if (target != "/metrics") {
        res.result(http::status::not_found);
        res.set(http::field::content_type, "text/plain; charset=utf-8");
        res.body() = "not found: the metrics are at /metrics\n";
    } else if (req.method() != http::verb::get && req.method() != http::verb::head) {
        res.result(http::status::method_not_allowed);
        res.set(http::field::allow, "GET, HEAD");
        res.set(http::field::content_type, "text/plain; charset=utf-8");
        res.body() = "method not allowed\n";
    } else {
        res.result(http::status::ok);
        res.set(http::field::content_type, exposition_content_type);
        res.set(http::field::cache_control, "no-store");
        res.body() = reg.scrape();
    }
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    if (req.method() == http::verb::head) {
        const auto length = res.body().size();
        res.body().clear();
        res.content_length(length);
    }
    return res;
}

} // namespace

endpoint::endpoint(endpoint_options opts, registry& reg, logger log)
    : opts_(std::move(opts)), registry_(reg), log_(std::move(log)), acceptor_(ctx_) {
    const tcp::endpoint ep(asio::ip::make_address(opts_.host), opts_.port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(ctx_, accept_loop(), log_exceptions{log_, "metrics_accept_failed"});
    thread_ = std::thread([this] { ctx_.run(); });
}

endpoint::~endpoint() {
    stop();
}

void endpoint::stop() {
    if (!thread_.joinable()) return;
    // Stopping the context abandons the connections' coroutines; their frames (sockets included) are
    // destroyed with the context, after the thread is joined.
    asio::post(ctx_, [this] {
        error_code ec;
        acceptor_.close(ec);
        ctx_.stop();
    });
    thread_.join();
}

asio::awaitable<void> endpoint::accept_loop() {
    while (acceptor_.is_open()) {
        error_code ec;
        tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
        if (ec) {
            log_.warn("metrics_accept_failed", {{"error", ec.message()}});
            continue;
        }
        if (connections_ >= opts_.max_connections) {
            socket.close(ec); // a scraper needs one; a flood gets nothing
            continue;
        }
        ++connections_;
        asio::co_spawn(ctx_, serve(std::move(socket)), [this](std::exception_ptr e) {
            --connections_;
            log_exceptions{log_, "metrics_connection_failed"}(e);
        });
    }
}

asio::awaitable<void> endpoint::serve(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer(8192);
    for (;;) {
        http::request_parser<http::empty_body> parser;
        parser.header_limit(8192);
        stream.expires_after(opts_.timeout);
        error_code ec;
        co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break; // closed, timed out, or not HTTP we want to answer
        auto res = answer(parser.get(), registry_);
        stream.expires_after(opts_.timeout);
        co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
        if (ec || !res.keep_alive()) break;
    }
    error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

} // namespace eelchat::metrics
