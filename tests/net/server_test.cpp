// The HTTP server over real sockets, with a scripted handler in place of the app.
#include "net/server.hpp"

#include "support/async.hpp"
#include "support/http_client.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/steady_timer.hpp>

#include <future>
#include <mutex>

using namespace eelchat;
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// What the test and the server's handlers share. The slow route parks on a timer the test releases.
struct script {
    std::mutex m;
    std::vector<std::string> log_lines;
    std::promise<void> slow_entered;
    asio::steady_timer* slow_timer = nullptr;
    std::atomic<int> shutdowns{0};
};

class scripted_handler : public net::http_handler {
public:
    explicit scripted_handler(script& s) : s_(s) {}

    asio::awaitable<net::http_response> handle(net::http_request& req, net::request_info&) override {
        net::http_response res{http::status::ok, req.version()};
        res.set(http::field::content_type, "text/plain");
        if (req.target() == "/throw") throw std::runtime_error("boom");
        if (req.target() == "/slow") {
            asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::hours(1));
            {
                std::lock_guard l(s_.m);
                s_.slow_timer = &t;
            }
            s_.slow_entered.set_value();
            boost::system::error_code ec;
            co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            res.body() = "slow done";
        } else if (req.method() == http::verb::post) {
            res.body() = "got " + req.body();
        } else {
            res.body() = "hello " + std::string(req.target());
        }
        res.prepare_payload();
        co_return res;
    }

    net::http_response error_response(http::status status, unsigned version) override {
        net::http_response res{status, version};
        res.body() = "error " + std::to_string(static_cast<int>(status));
        res.prepare_payload();
        return res;
    }

    void shutdown() override { ++s_.shutdowns; }

private:
    script& s_;
};

struct running_server {
    script s;
    net::server srv;

    explicit running_server(net::server_limits limits = {})
        : srv(
              [&] {
                  net::server_options o;
                  o.port = 0;
                  o.threads = 2;
                  o.limits = limits;
                  return o;
              }(),
              [this](asio::io_context&) { return std::make_unique<scripted_handler>(s); },
              logger(log_level::info, [this](std::string_view l) {
                  std::lock_guard lock(s.m);
                  s.log_lines.emplace_back(l);
              })) {
        srv.start();
    }
    ~running_server() {
        srv.stop();
        srv.join(std::chrono::seconds(5));
    }
    std::uint16_t port() const { return srv.port(); }
};

// Sends raw bytes and reads until the server closes the connection; returns everything it sent back.
asio::awaitable<std::string> raw_exchange(std::uint16_t port, std::string bytes) {
    asio::ip::tcp::socket sock(co_await asio::this_coro::executor);
    const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    co_await sock.async_connect(ep, asio::use_awaitable);
    co_await asio::async_write(sock, asio::buffer(bytes), asio::use_awaitable);
    std::string out;
    boost::system::error_code ec;
    co_await asio::async_read(sock, asio::dynamic_buffer(out), asio::redirect_error(asio::use_awaitable, ec));
    co_return out;
}

} // namespace

TEST_CASE("keep-alive serves several requests on one connection", "[unit][server]") {
    running_server rs;
    asio::io_context ctx;
    test::run_async(ctx, [&]() -> asio::awaitable<void> {
        test::http_connection c(co_await asio::this_coro::executor);
        co_await c.connect(rs.port());
        auto a = co_await c.send(http::verb::get, "/one");
        auto b = co_await c.send(http::verb::post, "/two", "payload");
        CHECK(a.result() == http::status::ok);
        CHECK(a.body() == "hello /one");
        CHECK(a.keep_alive());
        CHECK(b.body() == "got payload");
        auto h = co_await c.send(http::verb::head, "/three");
        CHECK(h.result() == http::status::ok);
        CHECK(h[http::field::content_length] == "12");
        CHECK(h.body().empty());
    }());
}

TEST_CASE("every request gets one structured access log line", "[unit][server]") {
    running_server rs;
    asio::io_context ctx;
    test::run_async(ctx,
                    [&]() -> asio::awaitable<void> { co_await test::get(rs.port(), "/logged?secret=1"); }());
    // The line is written once the response is out; after join() every line has been written.
    rs.srv.stop();
    REQUIRE(rs.srv.join(std::chrono::seconds(10)));
    std::lock_guard l(rs.s.m);
    auto it = std::find_if(rs.s.log_lines.begin(), rs.s.log_lines.end(),
                           [](const std::string& s) { return s.find("event=request") != std::string::npos; });
    REQUIRE(it != rs.s.log_lines.end());
    CHECK_THAT(*it, Catch::Contains("method=GET path=/logged status=200 bytes=22 ms="));
    CHECK(it->find("secret") == std::string::npos); // query strings (emails, tokens) stay out of logs
}

TEST_CASE("oversized, malformed and failing requests get error responses", "[unit][server]") {
    net::server_limits limits;
    limits.header_limit = 1024;
    limits.body_limit = 100;
    running_server rs(limits);
    asio::io_context ctx;
    test::run_async(ctx, [&]() -> asio::awaitable<void> {
        auto big_header = co_await raw_exchange(
            rs.port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
        CHECK_THAT(big_header, Catch::StartsWith("HTTP/1.1 431"));

        auto big_body = co_await raw_exchange(
            rs.port(), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'b'));
        CHECK_THAT(big_body, Catch::StartsWith("HTTP/1.1 413"));

        auto garbage = co_await raw_exchange(rs.port(), "NOT HTTP AT ALL\r\n\r\n");
        CHECK_THAT(garbage, Catch::StartsWith("HTTP/1.1 400"));

        auto thrown = co_await test::get(rs.port(), "/throw");
        CHECK(thrown.result() == http::status::internal_server_error);
        CHECK(thrown.body() == "error 500");
        CHECK(thrown.body().find("boom") == std::string::npos);

        auto after = co_await test::get(rs.port(), "/still-up");
        CHECK(after.result() == http::status::ok);
    }());
}

TEST_CASE("a client that stalls mid-request is disconnected at the read deadline", "[unit][server]") {
    net::server_limits limits;
    limits.read_timeout = std::chrono::milliseconds(300);
    running_server rs(limits);
    asio::io_context ctx;
    test::run_async(ctx, [&]() -> asio::awaitable<void> {
        test::http_connection c(co_await asio::this_coro::executor);
        co_await c.connect(rs.port());
        std::string partial = "GET / HTTP/1.1\r\nHost: x\r\n";
        co_await asio::async_write(c.stream().socket(), asio::buffer(partial), asio::use_awaitable);
        // (co_await stays out of CHECK: GCC 12 evaluates it twice inside Catch's macros.)
        const bool closed = co_await c.closed_by_peer();
        CHECK(closed);
    }());
}

TEST_CASE("graceful shutdown finishes in-flight requests and closes idle connections", "[unit][server]") {
    running_server rs;
    const auto port = rs.port();

    // A keep-alive connection that sits idle, and a request that is in flight when stop() is called.
    asio::io_context client_ctx;
    std::optional<test::response> slow_response;
    bool idle_closed = false;
    asio::co_spawn(
        client_ctx,
        [&]() -> asio::awaitable<void> {
            test::http_connection idle(co_await asio::this_coro::executor);
            co_await idle.connect(port);
            co_await idle.send(http::verb::get, "/warm");
            test::http_connection busy(co_await asio::this_coro::executor);
            co_await busy.connect(port);
            slow_response = co_await busy.send(http::verb::get, "/slow");
            idle_closed = co_await idle.closed_by_peer();
        },
        asio::detached);
    std::thread client([&] { client_ctx.run_for(std::chrono::seconds(20)); });

    auto entered = rs.s.slow_entered.get_future();
    REQUIRE(entered.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    rs.srv.stop();

    // Each worker closes its acceptor when it runs its shutdown step (a worker with nothing in flight may
    // then end at once, so nothing can be posted to it to wait for that): poll, bounded, until refused.
    auto refused = [&] {
        asio::io_context probe;
        asio::ip::tcp::socket s(probe);
        boost::system::error_code ec;
        s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
        return ec == asio::error::connection_refused;
    };
    bool was_refused = false;
    for (int i = 0; i < 500 && !was_refused; ++i) {
        was_refused = refused();
        if (!was_refused) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(was_refused);

    // Release the in-flight request: it completes with its real response, then the server ends.
    {
        std::lock_guard l(rs.s.m);
        REQUIRE(rs.s.slow_timer);
        auto* t = rs.s.slow_timer;
        asio::post(t->get_executor(), [t] { t->cancel(); });
    }
    CHECK(rs.srv.join(std::chrono::seconds(10)));
    client.join();
    REQUIRE(slow_response);
    CHECK(slow_response->result() == http::status::ok);
    CHECK(slow_response->body() == "slow done");
    CHECK_FALSE(slow_response->keep_alive());
    CHECK(idle_closed);
    CHECK(rs.s.shutdowns == 2);
}
