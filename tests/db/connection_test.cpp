#include "db/connection.hpp"

#include "db/support.hpp"
#include "support/async.hpp"
#include "support/env.hpp"
#include "support/scratch_db.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <variant>

namespace asio = boost::asio;
namespace db = eelchat::db;
using namespace std::chrono_literals;
using eelchat::test::failed;
using eelchat::test::in;
using eelchat::test::ok;
using eelchat::test::open_connection;
using eelchat::test::run_async;
using std::chrono::steady_clock;

namespace {

// A local port nothing listens on: bound once, then closed again.
unsigned short closed_port(asio::io_context& ctx) {
    asio::ip::tcp::acceptor a(ctx, {asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

} // namespace

TEST_CASE("connection: parameters, NULLs and several rows", "[pg]") {
    asio::io_context ctx;
    run_async(ctx, []() -> asio::awaitable<void> {
        auto c = co_await open_connection(eelchat::test::database_url());

        const std::vector<db::param> p1{"item-", "3"};
        auto rows = co_await c->query("SELECT x, CASE WHEN x = 2 THEN NULL ELSE $1 || x END AS label FROM "
                                      "generate_series(1, $2::int) AS x",
                                      p1, in(2s));
        REQUIRE(ok(rows));
        REQUIRE(rows->rows() == 3);
        CHECK(rows->get(0, "label") == "item-1");
        CHECK(rows->get_optional(1, "label") == std::nullopt);
        CHECK(rows->get(2, 0) == "3");

        const std::vector<db::param> p2{std::nullopt, "grüße, 'quoted'"};
        auto nulls = co_await c->query("SELECT $1::text IS NULL, $2::text", p2, in(2s));
        REQUIRE(ok(nulls));
        CHECK(nulls->get(0, 0) == "t");
        CHECK(nulls->get(0, 1) == "grüße, 'quoted'");

        auto created = co_await c->execute("CREATE TEMP TABLE t (x int)", in(2s));
        REQUIRE(ok(created));
        auto inserted = co_await c->query("INSERT INTO t SELECT generate_series(1, 5)", {}, in(2s));
        REQUIRE(ok(inserted));
        CHECK(inserted->affected_rows() == 5);
        CHECK(c->usable());
    }());
}

TEST_CASE("connection: a SQL error is its SQLSTATE and leaves the connection usable", "[pg]") {
    asio::io_context ctx;
    run_async(ctx, []() -> asio::awaitable<void> {
        auto c = co_await open_connection(eelchat::test::database_url());

        auto missing = co_await c->query("SELECT * FROM no_such_table", {}, in(2s));
        REQUIRE(failed(missing));
        CHECK(missing.error() == db::sqlstate::undefined_table);
        CHECK(c->last_error_message().find("no_such_table") != std::string::npos);
        CHECK(c->usable());

        auto syntax = co_await c->query("SELEC 1", {}, in(2s));
        CHECK(syntax.error() == db::sqlstate::syntax_error);
        auto text = co_await c->query("SELECT 'abc'::int", {}, in(2s));
        CHECK(text.error() == db::sqlstate::invalid_text_representation);

        auto created = co_await c->execute("CREATE TEMP TABLE u (x int PRIMARY KEY)", in(2s));
        REQUIRE(ok(created));
        const std::vector<db::param> one{"1"};
        auto inserted_one = co_await c->query("INSERT INTO u VALUES ($1)", one, in(2s));
        REQUIRE(ok(inserted_one));
        auto dup = co_await c->query("INSERT INTO u VALUES ($1)", one, in(2s));
        CHECK(dup.error() == db::sqlstate::unique_violation);

        auto after = co_await c->query("SELECT 1", {}, in(2s));
        REQUIRE(ok(after));
        CHECK(after->get(0, 0) == "1");
        CHECK(c->usable());
        CHECK(c->transaction_status() == PQTRANS_IDLE);
    }());
}

TEST_CASE("connection: execute runs several statements and keeps the first error", "[pg]") {
    asio::io_context ctx;
    run_async(ctx, []() -> asio::awaitable<void> {
        auto c = co_await open_connection(eelchat::test::database_url());
        auto setup =
            co_await c->execute("CREATE TEMP TABLE a (x int); INSERT INTO a VALUES (1), (2)", in(2s));
        REQUIRE(ok(setup));
        auto count = co_await c->query("SELECT count(*) FROM a", {}, in(2s));
        CHECK(count->get(0, 0) == "2");

        auto r = co_await c->execute("SELECT 1; SELECT 1/0; SELECT * FROM nope", in(2s));
        REQUIRE(failed(r));
        CHECK(db::sqlstate_of(r.error()) == "22012"); // division_by_zero, not the later undefined_table
        CHECK(c->usable());

        auto begun = co_await c->execute("BEGIN", in(2s));
        REQUIRE(ok(begun));
        CHECK(c->transaction_status() == PQTRANS_INTRANS);
        auto division = co_await c->execute("SELECT 1/0", in(2s));
        CHECK(failed(division));
        CHECK(c->transaction_status() == PQTRANS_INERROR);
        auto rolled_back = co_await c->execute("ROLLBACK", in(2s));
        REQUIRE(ok(rolled_back));
        CHECK(c->transaction_status() == PQTRANS_IDLE);
        CHECK(c->backend_pid() > 0);
    }());
}

TEST_CASE("connection: large parameters and results stream through without blocking", "[pg]") {
    asio::io_context ctx;
    run_async(ctx, []() -> asio::awaitable<void> {
        auto c = co_await open_connection(eelchat::test::database_url());
        // Far more than a socket buffer holds: PQflush reports "more to send" and the flush loop waits.
        const std::size_t size = 16 * 1024 * 1024;
        const std::vector<db::param> big{std::string(size, 'x')};
        auto length = co_await c->query("SELECT length($1)", big, in(10s));
        REQUIRE(ok(length));
        CHECK(length->get(0, 0) == std::to_string(size));

        auto rows =
            co_await c->query("SELECT g, repeat('y', 1000) FROM generate_series(1, 20000) g", {}, in(10s));
        REQUIRE(ok(rows));
        CHECK(rows->rows() == 20000);
        CHECK(rows->get(19999, 0) == "20000");
        CHECK(rows->get(19999, 1).size() == 1000);
        CHECK(c->usable());
    }());
}

TEST_CASE("connection: host names are resolved before libpq sees them", "[pg]") {
    asio::io_context ctx;
    // "localhost" may resolve to ::1 first, where the test server does not listen: the next address
    // must be tried, as libpq itself would.
    auto conninfo =
        eelchat::test::conninfo_with_dbname(eelchat::test::database_url(), "postgres") + " host=localhost";
    run_async(ctx, [](std::string conninfo) -> asio::awaitable<void> {
        auto c = co_await open_connection(conninfo);
        auto r = co_await c->query("SELECT current_setting('application_name')", {}, in(2s));
        REQUIRE(ok(r));
        CHECK(r->get(0, 0) == "eelchat-tests");
    }(conninfo));
}

TEST_CASE("connection: a refused port or a bad conninfo fails fast with connect_failed", "[pg]") {
    asio::io_context ctx;
    const auto port = closed_port(ctx);
    for (std::string conninfo :
         {"host=127.0.0.1 port=" + std::to_string(port) + " connect_timeout=10",
          std::string("no_such_option=1"), std::string("postgresql://host:notaport/db")}) {
        INFO(conninfo);
        const auto start = steady_clock::now();
        auto r =
            run_async(ctx, db::connection::connect(conninfo, "eelchat-tests", 5s, eelchat::logger::null()));
        REQUIRE(failed(r));
        CHECK(r.error() == db::errc::connect_failed);
        CHECK(db::is_connection_error(r.error()));
        CHECK(steady_clock::now() - start < 1s);
    }
}

TEST_CASE("connection: a server that accepts but never answers times out at the deadline", "[pg]") {
    asio::io_context ctx;
    // The kernel completes the TCP handshake for a listening socket nobody accepts from.
    asio::ip::tcp::acceptor silent(ctx, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = silent.local_endpoint().port();
    const auto start = steady_clock::now();
    auto r = run_async(ctx, db::connection::connect("host=127.0.0.1 port=" + std::to_string(port),
                                                    "eelchat-tests", 300ms, eelchat::logger::null()));
    const auto took = steady_clock::now() - start;
    REQUIRE(failed(r));
    CHECK(r.error() == db::errc::timeout);
    CHECK(took >= 250ms);
    CHECK(took < 1500ms);
}

TEST_CASE("connection: a query past its deadline times out and poisons the connection", "[pg]") {
    eelchat::test::scratch_db scratch; // the abandoned pg_sleep dies with the scratch database
    asio::io_context ctx;
    run_async(ctx, [](std::string conninfo) -> asio::awaitable<void> {
        auto c = co_await open_connection(conninfo);
        const auto start = steady_clock::now();
        auto r = co_await c->query("SELECT pg_sleep(5)", {}, in(200ms));
        const auto took = steady_clock::now() - start;
        REQUIRE(failed(r));
        CHECK(r.error() == db::errc::timeout);
        CHECK(took >= 150ms);
        CHECK(took < 1s);
        CHECK_FALSE(c->usable());
        // Poisoned for good: later calls fail at once instead of reading a stale result.
        auto again = co_await c->query("SELECT 1", {}, in(2s));
        CHECK(again.error() == db::errc::connection_lost);
    }(scratch.url()));
}

TEST_CASE("connection: cancelling through awaitable || aborts the query and poisons", "[pg]") {
    eelchat::test::scratch_db scratch;
    asio::io_context ctx;
    run_async(ctx, [](std::string conninfo) -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto c = co_await open_connection(conninfo);
        asio::steady_timer timer(co_await asio::this_coro::executor, 100ms);
        const auto start = steady_clock::now();
        auto which =
            co_await (c->query("SELECT pg_sleep(5)", {}, in(10s)) || timer.async_wait(asio::use_awaitable));
        CHECK(which.index() == 1);
        CHECK(steady_clock::now() - start < 1s);
        CHECK_FALSE(c->usable());
        CHECK_FALSE(c->busy());
    }(scratch.url()));
}

TEST_CASE("connection: a backend terminated mid-query is connection_lost, with the server's reason", "[pg]") {
    asio::io_context ctx;
    run_async(ctx, []() -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        const auto url = eelchat::test::database_url();
        auto victim = co_await open_connection(url);
        auto admin = co_await open_connection(url);
        auto kill = [&]() -> asio::awaitable<db::result<db::pg_result>> {
            asio::steady_timer t(co_await asio::this_coro::executor, 100ms);
            co_await t.async_wait(asio::use_awaitable);
            const std::vector<db::param> pid{std::to_string(victim->backend_pid())};
            co_return co_await admin->query("SELECT pg_terminate_backend($1::int)", pid, in(2s));
        };
        const auto start = steady_clock::now();
        auto [slept, killed] = co_await (victim->query("SELECT pg_sleep(5)", {}, in(10s)) && kill());
        CHECK(steady_clock::now() - start < 2s);
        REQUIRE(ok(killed));
        REQUIRE(failed(slept));
        CHECK(slept.error() == db::errc::connection_lost);
        CHECK(victim->last_error_message().find("administrator command") != std::string::npos);
        CHECK_FALSE(victim->usable());
    }());
}

TEST_CASE("connection: a second operation while one is in flight is refused", "[pg]") {
    asio::io_context ctx;
    run_async(ctx, []() -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto c = co_await open_connection(eelchat::test::database_url());
        auto slow = [&]() -> asio::awaitable<db::result<db::pg_result>> {
            co_return co_await c->query("SELECT pg_sleep(0.1)", {}, in(2s));
        };
        auto second = [&]() -> asio::awaitable<db::result<void>> {
            co_return co_await c->execute("SELECT 1", in(2s));
        };
        auto [first, other] = co_await (slow() && second());
        CHECK(ok(first));
        REQUIRE(failed(other));
        CHECK(other.error() == db::errc::protocol_error);
        CHECK(c->usable()); // the refused call did not disturb the one in flight
    }());
}

TEST_CASE("connection: LISTEN on one connection receives NOTIFY from another", "[pg]") {
    asio::io_context ctx;
    run_async(ctx, []() -> asio::awaitable<void> {
        const auto url = eelchat::test::database_url();
        auto listener = co_await open_connection(url);
        auto sender = co_await open_connection(url);
        auto channel = listener->escape_identifier("eelchat test channel");
        REQUIRE(ok(channel));
        CHECK(*channel == "\"eelchat test channel\"");
        auto listening = co_await listener->execute("LISTEN " + *channel, in(2s));
        REQUIRE(ok(listening));

        // Idle waiting ends at the deadline without harming the connection.
        auto idle = co_await listener->wait_readable_and_consume(in(100ms));
        CHECK(idle.error() == db::errc::timeout);
        CHECK(listener->usable());

        const std::vector<db::param> args{"eelchat test channel", "room:42"};
        auto notified = co_await sender->query("SELECT pg_notify($1, $2)", args, in(2s));
        REQUIRE(ok(notified));
        std::vector<db::notification> got;
        for (int i = 0; i < 20 && got.empty(); ++i) {
            auto woke = co_await listener->wait_readable_and_consume(in(2s));
            REQUIRE(ok(woke));
            got = listener->take_notifications();
        }
        REQUIRE(got.size() == 1);
        CHECK(got[0].channel == "eelchat test channel");
        CHECK(got[0].payload == "room:42");
        CHECK(got[0].backend_pid == sender->backend_pid());
        CHECK_FALSE(listener->pop_notification());
        CHECK_FALSE(listener->overflowed());
    }());
}

TEST_CASE("connection: the notification queue is bounded and reports overflow", "[pg]") {
    asio::io_context ctx;
    run_async(ctx, []() -> asio::awaitable<void> {
        const auto url = eelchat::test::database_url();
        auto listener = co_await open_connection(url);
        auto sender = co_await open_connection(url);
        auto listening = co_await listener->execute("LISTEN flood", in(2s));
        REQUIRE(ok(listening));
        // Distinct payloads: PostgreSQL folds identical notifications of one transaction into one.
        const auto extra = 50;
        const std::vector<db::param> n{std::to_string(db::connection::max_queued_notifications + extra)};
        auto flooded = co_await sender->query(
            "SELECT count(pg_notify('flood', g::text)) FROM generate_series(1, $1::int) g", n, in(5s));
        REQUIRE(ok(flooded));
        // Returns at once while notifications are queued, so this loop is bounded by time, not count.
        const auto give_up = in(5s);
        db::result<void> woke;
        while (woke && !listener->overflowed() && steady_clock::now() < give_up) {
            woke = co_await listener->wait_readable_and_consume(give_up);
        }
        REQUIRE(ok(woke));
        CHECK(listener->overflowed());
        auto got = listener->take_notifications();
        REQUIRE(got.size() == db::connection::max_queued_notifications);
        CHECK(got.front().payload == "1"); // the oldest are kept; the newest were dropped
        listener->reset_overflowed();
        CHECK_FALSE(listener->overflowed());
        CHECK(listener->usable());
    }());
}
