#include "db/pool.hpp"

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

#include <set>

namespace asio = boost::asio;
namespace db = eelchat::db;
using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using eelchat::test::failed;
using eelchat::test::in;
using eelchat::test::ok;
using eelchat::test::open_connection;
using eelchat::test::run_async;
using eelchat::test::sleep_for;
using std::chrono::steady_clock;

namespace {

db::pool_config config_for(std::string conninfo) {
    db::pool_config c;
    c.conninfo = std::move(conninfo);
    c.max_size = 2;
    c.call_timeout = 2s;
    c.connect_timeout = 1s;
    c.application_name = "eelchat-tests";
    return c;
}

// The backend pid serving a pooled query.
asio::awaitable<std::string> pid_of(db::pool& p, std::string extra = std::string()) {
    auto r = co_await p.query("SELECT pg_backend_pid()" + std::string(extra));
    if (!r) FAIL("query failed: " << r.error().message());
    co_return std::string(r->get(0, 0));
}

} // namespace

TEST_CASE("pool: sequential calls reuse one connection", "[pg]") {
    asio::io_context ctx;
    db::pool pool(ctx.get_executor(), config_for(eelchat::test::database_url()), eelchat::logger::null());
    run_async(ctx, [](db::pool& p) -> asio::awaitable<void> {
        std::set<std::string> pids;
        for (int i = 0; i < 5; ++i)
            pids.insert(co_await pid_of(p));
        CHECK(pids.size() == 1);
        CHECK(p.size() == 1);
        CHECK(p.idle() == 1);
        const std::vector<db::param> args{"x", std::nullopt};
        auto r = co_await p.query("SELECT $1::text, $2::text IS NULL", args);
        REQUIRE(ok(r));
        CHECK(r->get(0, 1) == "t");
        auto executed = co_await p.execute("SELECT 1; SELECT 2");
        CHECK(ok(executed));
    }(pool));
}

TEST_CASE("pool: never more than max_size connections, and the next caller waits for one", "[pg]") {
    asio::io_context ctx;
    db::pool pool(ctx.get_executor(), config_for(eelchat::test::database_url()), eelchat::logger::null());
    run_async(ctx, [](db::pool& p) -> asio::awaitable<void> {
        // (Returns a value: Boost 1.81's `tuple && void` operator does not compile.)
        auto probe = [&]() -> asio::awaitable<std::pair<std::size_t, std::size_t>> {
            co_await sleep_for(100ms);
            co_return std::make_pair(p.size(), p.waiting());
        };
        const auto start = steady_clock::now();
        auto [a, b, c, seen] = co_await (pid_of(p, ", pg_sleep(0.2)") && pid_of(p, ", pg_sleep(0.2)") &&
                                         pid_of(p, ", pg_sleep(0.2)") && probe());
        const auto took = steady_clock::now() - start;
        CHECK(seen.first == 2);  // size
        CHECK(seen.second == 1); // waiting
        CHECK(a != b);
        CHECK((c == a || c == b)); // the waiter got a returned connection, not a third one
        CHECK(took >= 400ms);
        CHECK(took < 1500ms);
        CHECK(p.size() == 2);
        CHECK(p.waiting() == 0);
    }(pool));
}

TEST_CASE("pool: callers beyond max_waiters are turned away at once", "[pg]") {
    asio::io_context ctx;
    auto cfg = config_for(eelchat::test::database_url());
    cfg.max_size = 1;
    cfg.max_waiters = 1;
    db::pool pool(ctx.get_executor(), cfg, eelchat::logger::null());
    run_async(ctx, [](db::pool& p) -> asio::awaitable<void> {
        auto rejected =
            [&]() -> asio::awaitable<std::pair<db::result<db::pg_result>, steady_clock::duration>> {
            co_await sleep_for(50ms); // let the first two take the connection and the waiting place
            const auto start = steady_clock::now();
            auto r = co_await p.query("SELECT 1");
            co_return std::make_pair(std::move(r), steady_clock::now() - start);
        };
        auto [first, second, third] =
            co_await (p.query("SELECT pg_sleep(0.3)") && p.query("SELECT 2") && rejected());
        CHECK(ok(first));
        CHECK(ok(second));
        REQUIRE(failed(third.first));
        CHECK(third.first.error() == db::errc::pool_timeout);
        CHECK(third.second < 50ms);
    }(pool));
}

TEST_CASE("pool: a waiter gives up at its deadline with pool_timeout", "[pg]") {
    asio::io_context ctx;
    auto cfg = config_for(eelchat::test::database_url());
    cfg.max_size = 1;
    cfg.call_timeout = 200ms;
    db::pool pool(ctx.get_executor(), cfg, eelchat::logger::null());
    run_async(ctx, [](db::pool& p) -> asio::awaitable<void> {
        auto held = co_await p.acquire(in(2s));
        REQUIRE(ok(held));
        const auto start = steady_clock::now();
        auto r = co_await p.query("SELECT 1");
        const auto took = steady_clock::now() - start;
        REQUIRE(failed(r));
        CHECK(r.error() == db::errc::pool_timeout);
        CHECK(took >= 150ms);
        CHECK(took < 1s);
        CHECK(p.waiting() == 0);
        held->release();
        auto after = co_await p.query("SELECT 1");
        CHECK(ok(after));
    }(pool));
}

TEST_CASE("pool: a timed-out call discards its connection and the pool keeps working", "[pg]") {
    eelchat::test::scratch_db scratch;
    asio::io_context ctx;
    auto cfg = config_for(scratch.url());
    cfg.call_timeout = 300ms;
    db::pool pool(ctx.get_executor(), cfg, eelchat::logger::null());
    run_async(ctx, [](db::pool& p) -> asio::awaitable<void> {
        const auto before = co_await pid_of(p);
        const auto start = steady_clock::now();
        auto slow = co_await p.query("SELECT pg_sleep(5)");
        CHECK(steady_clock::now() - start < 1s);
        REQUIRE(failed(slow));
        CHECK(slow.error() == db::errc::timeout);
        CHECK(db::is_connection_error(slow.error()));
        CHECK(p.size() == 0); // the poisoned connection was closed, not pooled
        const auto after = co_await pid_of(p);
        CHECK(after != before);
    }(pool));
}

TEST_CASE("pool: a lease returned inside a transaction is closed, not reused", "[pg]") {
    asio::io_context ctx;
    db::pool pool(ctx.get_executor(), config_for(eelchat::test::database_url()), eelchat::logger::null());
    run_async(ctx, [](db::pool& p) -> asio::awaitable<void> {
        int first_pid = 0;
        {
            auto l = co_await p.acquire(in(2s));
            REQUIRE(ok(l));
            auto begun = co_await (*l)->execute("BEGIN; CREATE TEMP TABLE leaked (x int)", in(2s));
            REQUIRE(ok(begun));
            CHECK((*l)->transaction_status() == PQTRANS_INTRANS);
            first_pid = (*l)->backend_pid();
        }
        CHECK(p.size() == 0);
        auto l = co_await p.acquire(in(2s));
        REQUIRE(ok(l));
        CHECK((*l)->backend_pid() != first_pid);
        CHECK((*l)->transaction_status() == PQTRANS_IDLE);
        auto r = co_await (*l)->query("SELECT to_regclass('pg_temp.leaked') IS NULL", {}, in(2s));
        CHECK(r->get(0, 0) == "t");
    }(pool));
}

TEST_CASE("pool: a terminated backend costs at most one failed call", "[pg]") {
    asio::io_context ctx;
    db::pool pool(ctx.get_executor(), config_for(eelchat::test::database_url()), eelchat::logger::null());
    db::pool admin(ctx.get_executor(), config_for(eelchat::test::database_url()), eelchat::logger::null());
    run_async(ctx, [](db::pool& p, db::pool& admin) -> asio::awaitable<void> {
        const auto pid = co_await pid_of(p);
        const std::vector<db::param> args{pid};
        auto killed = co_await admin.query("SELECT pg_terminate_backend($1::int, 5000)", args);
        REQUIRE(ok(killed));
        REQUIRE(killed->get(0, 0) == "t");

        const auto start = steady_clock::now();
        auto next = co_await p.query("SELECT pg_backend_pid()");
        CHECK(steady_clock::now() - start < 1s);
        if (!next) {
            CHECK(db::is_connection_error(next.error()));
            next = co_await p.query("SELECT pg_backend_pid()");
        }
        REQUIRE(ok(next));
        CHECK(next->get(0, 0) != pid);
    }(pool, admin));
}

TEST_CASE("pool: an unreachable database fails calls fast with connect_failed", "[pg]") {
    asio::io_context ctx;
    asio::ip::tcp::acceptor a(ctx, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = a.local_endpoint().port();
    a.close();
    db::pool pool(ctx.get_executor(), config_for("host=127.0.0.1 port=" + std::to_string(port)),
                  eelchat::logger::null());
    run_async(ctx, [](db::pool& p) -> asio::awaitable<void> {
        for (int i = 0; i < 3; ++i) {
            const auto start = steady_clock::now();
            auto r = co_await p.query("SELECT 1");
            CHECK(steady_clock::now() - start < 500ms);
            REQUIRE(failed(r));
            CHECK(r.error() == db::errc::connect_failed);
            CHECK(p.size() == 0);
        }
    }(pool));
}

TEST_CASE("pool: a database that hangs fails calls at their deadline, never later", "[pg]") {
    asio::io_context ctx;
    // Accepts TCP connections (the kernel does) but never says a word.
    asio::ip::tcp::acceptor silent(ctx, {asio::ip::make_address("127.0.0.1"), 0});
    auto cfg = config_for("host=127.0.0.1 port=" + std::to_string(silent.local_endpoint().port()));
    cfg.call_timeout = 300ms;
    cfg.connect_timeout = 5s; // the call's deadline is the tighter one
    db::pool pool(ctx.get_executor(), cfg, eelchat::logger::null());
    run_async(ctx, [](db::pool& p) -> asio::awaitable<void> {
        const auto start = steady_clock::now();
        auto r = co_await p.query("SELECT 1");
        const auto took = steady_clock::now() - start;
        REQUIRE(failed(r));
        CHECK(r.error() == db::errc::timeout);
        CHECK(took >= 250ms);
        CHECK(took < 1s);
        CHECK(p.size() == 0);
    }(pool));
}

TEST_CASE("pool: calls fail fast while the database is down and recover when it is back", "[pg][restart]") {
    asio::io_context ctx;
    db::pool pool(ctx.get_executor(), config_for(eelchat::test::database_url()), eelchat::logger::null());
    REQUIRE(ok(run_async(ctx, pool.query("SELECT 1"))));
    REQUIRE(ok(run_async(ctx, pool.query("SELECT 1"))));

    eelchat::test::run_env_command("EELCHAT_TEST_PG_STOP");
    for (int i = 0; i < 3; ++i) {
        const auto start = steady_clock::now();
        auto r = run_async(ctx, pool.query("SELECT 1"));
        CHECK(steady_clock::now() - start < 1s);
        REQUIRE(failed(r));
        INFO(r.error().message());
        CHECK(db::is_connection_error(r.error()));
    }
    eelchat::test::run_env_command("EELCHAT_TEST_PG_START");

    bool recovered = false;
    for (int i = 0; i < 20 && !recovered; ++i) {
        auto r = run_async(ctx, pool.query("SELECT 1"));
        recovered = static_cast<bool>(r);
        if (!recovered) run_async(ctx, sleep_for(100ms));
    }
    CHECK(recovered);
    CHECK(pool.size() == 1);
}

TEST_CASE("pool: close() fails waiters and later calls with cancelled", "[pg]") {
    asio::io_context ctx;
    auto cfg = config_for(eelchat::test::database_url());
    cfg.max_size = 1;
    db::pool pool(ctx.get_executor(), cfg, eelchat::logger::null());
    run_async(ctx, [](db::pool& p) -> asio::awaitable<void> {
        auto held = co_await p.acquire(in(2s));
        REQUIRE(ok(held));
        auto closer = [&]() -> asio::awaitable<void> {
            co_await sleep_for(50ms);
            CHECK(p.waiting() == 1);
            p.close();
        };
        auto waited = co_await (p.acquire(in(2s)) && closer());
        REQUIRE(failed(waited));
        CHECK(waited.error() == db::errc::cancelled);
        held->release();
        CHECK(p.size() == 0); // returned to a closed pool: closed
        auto later = co_await p.acquire(in(2s));
        CHECK(later.error() == db::errc::cancelled);
    }(pool));
}

TEST_CASE("pool: a cancelled acquire leaves nothing behind", "[pg]") {
    asio::io_context ctx;
    auto cfg = config_for(eelchat::test::database_url());
    cfg.max_size = 1;
    db::pool pool(ctx.get_executor(), cfg, eelchat::logger::null());
    run_async(ctx, [](db::pool& p) -> asio::awaitable<void> {
        auto held = co_await p.acquire(in(2s));
        REQUIRE(ok(held));
        auto which = co_await (p.acquire(in(5s)) || sleep_for(50ms));
        CHECK(which.index() == 1);
        CHECK(p.waiting() == 0);
        held->release();
        CHECK(p.idle() == 1);
        auto after = co_await p.query("SELECT 1");
        CHECK(ok(after));
    }(pool));
}
