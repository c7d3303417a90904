// The SMTP mailer when things go wrong: unusable settings, nothing listening, silent and scripted servers,
// cancellation, hostile replies. Every failure ends with a clear error code and nothing left behind.
#include "support/smtp_test_server.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <variant>

using namespace eelchat;
using namespace eelchat::test::smtp;

TEST_CASE("an unusable SMTP configuration is refused when the mailer is made", "[unit][mail]") {
    asio::io_context ctx;
    auto cfg = config_for(25);
    cfg.ca_file = "/nonexistent/ca.pem";
    CHECK_THROWS_AS(mail::make_smtp_mailer(ctx.get_executor(), cfg, logger::null()),
                    boost::system::system_error);
    cfg = config_for(25);
    cfg.from = "Eelchat <eelchat@chat.example>";
    CHECK_THROWS_AS(mail::make_smtp_mailer(ctx.get_executor(), cfg, logger::null()), std::invalid_argument);
    cfg = config_for(25);
    cfg.host.clear();
    CHECK_THROWS_AS(mail::make_smtp_mailer(ctx.get_executor(), cfg, logger::null()), std::invalid_argument);
}

TEST_CASE("a port with nothing listening fails fast with connect_failed", "[smtp][unit]") {
    auto r = send_with(config_for(closed_port()), welcome);
    CHECK(r.ec == mail::errc::connect_failed);
    CHECK(r.took < milliseconds(1000));
}

TEST_CASE("a server that accepts but never speaks fails with timeout at the deadline", "[smtp][unit]") {
    // The kernel completes the TCP handshake for the backlog; nobody ever accepts or writes.
    asio::io_context listen_ctx;
    tcp::acceptor silent(listen_ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    auto cfg = config_for(silent.local_endpoint().port());
    cfg.timeout = milliseconds(500);
    auto r = send_with(cfg, welcome);
    CHECK(r.ec == mail::errc::timeout);
    CHECK(r.took >= milliseconds(480));
    CHECK(r.took < milliseconds(1500));
    CHECK_THAT(r.all_log(), Catch::Contains("stage=greeting"));
}

TEST_CASE("cancelling a send ends it at once, leaving nothing behind", "[smtp][unit]") {
    using namespace asio::experimental::awaitable_operators;
    asio::io_context listen_ctx;
    tcp::acceptor silent(listen_ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    asio::io_context ctx;
    auto mailer = mail::make_smtp_mailer(ctx.get_executor(), config_for(silent.local_endpoint().port()),
                                         logger::null());
    const auto started = steady_clock::now();
    // run_async fails the test if the cancelled exchange left a timer or a socket operation pending.
    auto outcome = test::run_async(
        ctx, [&]() -> asio::awaitable<std::variant<boost::system::error_code, std::monostate>> {
            asio::steady_timer stop_waiting(ctx, milliseconds(100));
            auto send = mailer->send(welcome);
            auto r = co_await (std::move(send) || stop_waiting.async_wait(asio::use_awaitable));
            co_return r;
        }());
    CHECK(outcome.index() == 1);
    CHECK(steady_clock::now() - started < milliseconds(1000));
}

TEST_CASE("CR or LF in the subject fails with bad_message without connecting", "[smtp][unit]") {
    asio::io_context listen_ctx;
    tcp::acceptor listener(listen_ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    auto cfg = config_for(listener.local_endpoint().port());
    mail::message m{"bob@example.org", "Hi\r\nBcc: everyone@example.org", "text"};
    auto r = send_with(cfg, m);
    CHECK(r.ec == mail::errc::bad_message);
    m.subject = "Hi\nBcc: everyone@example.org";
    CHECK(send_with(cfg, m).ec == mail::errc::bad_message);
    // Nothing is waiting in the listen queue: the client never connected.
    listener.non_blocking(true);
    boost::system::error_code ec;
    tcp::socket s(listen_ctx);
    listener.accept(s, ec);
    CHECK(ec == asio::error::would_block);
}

namespace {

// A fake server that greets with `script`, then reads until the client hangs up.
asio::awaitable<void> scripted_server(tcp::acceptor& acceptor, std::string script) {
    tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
    co_await asio::async_write(s, asio::buffer(script), asio::use_awaitable);
    std::string sink;
    boost::system::error_code ec;
    co_await asio::async_read(s, asio::dynamic_buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
}

boost::system::error_code send_to_script(std::string script) {
    using namespace asio::experimental::awaitable_operators;
    asio::io_context ctx;
    tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    auto mailer = mail::make_smtp_mailer(ctx.get_executor(), config_for(acceptor.local_endpoint().port()),
                                         logger::null());
    return test::run_async(
        ctx,
        [&]() -> asio::awaitable<boost::system::error_code> {
            auto client = mailer->send(welcome);
            auto server = scripted_server(acceptor, std::move(script));
            auto ec = co_await (std::move(client) && std::move(server));
            co_return ec;
        }(),
        std::chrono::seconds(10));
}

} // namespace

TEST_CASE("a reply line longer than 4096 bytes is a protocol error", "[smtp][unit]") {
    CHECK(send_to_script("220 " + std::string(5000, 'x') + "\r\n") == mail::errc::protocol_error);
}

TEST_CASE("a reply with more than 100 lines is a protocol error", "[smtp][unit]") {
    std::string script;
    for (int i = 0; i < 100; ++i)
        script += "220-hello\r\n";
    script += "220 done\r\n";
    CHECK(send_to_script(script) == mail::errc::protocol_error);
}

TEST_CASE("a greeting that refuses service fails with rejected", "[smtp][unit]") {
    CHECK(send_to_script("554 5.3.2 no service for you\r\n") == mail::errc::rejected);
}
