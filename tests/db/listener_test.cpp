#include "db/listener.hpp"

#include "db/params.hpp"
#include "db/support.hpp"
#include "support/async.hpp"
#include "support/env.hpp"
#include "support/scratch_db.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace db = eelchat::db;
using namespace std::chrono_literals;
using eelchat::test::in;
using eelchat::test::leftovers;
using eelchat::test::ok;
using eelchat::test::open_connection;
using eelchat::test::run_async;
using eelchat::test::sleep_for;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

constexpr const char* channel = "eelchat_events";

// What the application saw, in order: "connected" per on_connected, "n:<payload>" per notification.
struct recorder {
    std::vector<std::string> events;
    std::vector<db::notification> notifications;
    std::vector<std::string> log_lines;
    int resyncs = 0;
    // Runs inside on_connected (a NOTIFY sent while the app catches up, for instance).
    std::function<asio::awaitable<void>()> during_resync;
    bool fail_next_resync = false;

    std::size_t logged(std::string_view event) const {
        const std::string key = "event=" + std::string(event);
        return static_cast<std::size_t>(std::count_if(log_lines.begin(), log_lines.end(), [&](const auto& l) {
            return l.find(key + " ") != std::string::npos || l.ends_with(key);
        }));
    }
};

db::listener_options options_for(std::string conninfo) {
    db::listener_options o;
    o.conninfo = std::move(conninfo);
    o.channels.push_back(channel);
    o.channels.push_back("a \"quoted\" channel"); // LISTEN must quote identifiers
    o.connect_timeout = 2s;
    o.query_timeout = 2s;
    o.backoff_min = 50ms;
    o.backoff_max = 400ms;
    return o;
}

// A listener running on its own io_context. Members are declared so that the io_context goes first: if
// a test fails with run() still pending, destroying the io_context destroys run()'s frames while the
// listener and the recorder they point to still exist.
struct harness {
    explicit harness(db::listener_options opts) {
        db::listener::callbacks cb;
        cb.on_connected = [this]() -> asio::awaitable<void> {
            ++rec.resyncs;
            rec.events.push_back("connected");
            if (rec.during_resync) co_await rec.during_resync();
            if (rec.fail_next_resync) {
                rec.fail_next_resync = false;
                throw std::runtime_error("catch-up query failed");
            }
        };
        cb.on_notification = [this](const db::notification& n) {
            rec.events.push_back("n:" + n.payload);
            rec.notifications.push_back(n);
        };
        eelchat::logger log(eelchat::log_level::debug,
                            [this](std::string_view line) { rec.log_lines.emplace_back(line); });
        listener.emplace(ctx.get_executor(), std::move(opts), std::move(cb), std::move(log));
        asio::co_spawn(ctx, listener->run(), [this](std::exception_ptr e) {
            run_error = e;
            run_done = true;
        });
    }

    ~harness() {
        // No Catch assertions here: this may run while a failed assertion unwinds the test.
        if (run_done) return;
        listener->stop();
        ctx.restart();
        const auto give_up = steady_clock::now() + 5s;
        while (!run_done && steady_clock::now() < give_up && ctx.run_one_for(100ms) > 0) {
        }
    }

    recorder rec;
    bool run_done = false;
    std::exception_ptr run_error;
    std::optional<db::listener> listener;
    asio::io_context ctx;
};

// Polls `done` in small steps on the io_context until it holds; fails the test after `limit`.
asio::awaitable<void> wait_until(std::function<bool()> done, steady_clock::duration limit, std::string what) {
    const auto give_up = steady_clock::now() + limit;
    while (!done()) {
        if (steady_clock::now() >= give_up) FAIL("timed out waiting for " << what);
        co_await sleep_for(5ms);
    }
}

asio::awaitable<void> notify(db::connection& sender, std::string payload) {
    const auto args = db::params(channel, std::move(payload));
    auto sent = co_await sender.query("SELECT pg_notify($1, $2)", args, in(2s));
    REQUIRE(ok(sent));
}

// Stops the listener and waits (bounded) for run() to complete, so run_async can check that nothing
// was left behind; returns how long that took.
asio::awaitable<milliseconds> stop_and_join(harness& h) {
    const auto started = steady_clock::now();
    h.listener->stop();
    co_await wait_until([&] { return h.run_done; }, 2s, "run() to complete after stop()");
    if (h.run_error) std::rethrow_exception(h.run_error);
    co_return std::chrono::duration_cast<milliseconds>(steady_clock::now() - started);
}

// Restarts the test server at scope exit unless the test did; later tests need it.
struct restart_database_guard {
    bool armed = true;
    ~restart_database_guard() {
        if (!armed) return;
        if (const char* cmd = std::getenv("EELCHAT_TEST_PG_START")) (void)std::system(cmd);
    }
};

} // namespace

TEST_CASE("listener: backoff doubles from min to max with jitter, and resets", "[unit][listener]") {
    db::reconnect_backoff b(200ms, 5000ms);
    const std::vector<std::int64_t> ceilings{200, 400, 800, 1600, 3200, 5000, 5000};
    const std::vector<std::uint64_t> draws{0, 1, 99, 12345, std::numeric_limits<std::uint64_t>::max()};
    for (auto ceiling : ceilings) {
        CHECK(b.ceiling().count() == ceiling);
        for (auto r : draws) {
            db::reconnect_backoff probe = b;
            const auto d = probe.next(r).count();
            CHECK(d >= ceiling / 2);
            CHECK(d <= ceiling);
        }
        b.next(0);
    }
    CHECK(b.next(0).count() == 2500); // the floor of the capped ceiling
    b.reset();
    CHECK(b.ceiling().count() == 200);
    CHECK(b.next(100).count() == 200); // the draw spans floor..ceiling inclusive

    db::reconnect_backoff degenerate(0ms, 0ms); // never a zero delay: that would be a busy loop
    CHECK(degenerate.next(0).count() >= 1);
    CHECK(degenerate.ceiling().count() >= 1);
    db::reconnect_backoff inverted(300ms, 100ms);
    CHECK(inverted.next(0).count() == 150);
    CHECK(inverted.ceiling().count() == 300);
}

TEST_CASE("listener: on_connected first, then notifications in order, and named eelchat-listener",
          "[pg][listener]") {
    eelchat::test::scratch_db scratch;
    harness h(options_for(scratch.url()));
    // A NOTIFY committed while the app catches up must wait, then come after on_connected.
    h.rec.during_resync = [url = scratch.url()]() -> asio::awaitable<void> {
        auto sender = co_await open_connection(url);
        co_await notify(*sender, "during-resync");
    };
    run_async(h.ctx, [](harness& h, std::string url) -> asio::awaitable<void> {
        co_await wait_until([&] { return h.listener->connected() && h.rec.events.size() == 2; }, 10s,
                            "the first connection and the notification sent during on_connected");
        CHECK(h.listener->connects() == 1);
        CHECK(h.listener->connect_attempts() == 1);
        CHECK(h.rec.resyncs == 1);

        auto sender = co_await open_connection(url);
        const auto pid = db::params(h.listener->backend_pid());
        auto app = co_await sender->query("SELECT application_name FROM pg_stat_activity WHERE pid = $1", pid,
                                          in(2s));
        REQUIRE(ok(app));
        REQUIRE(app->rows() == 1);
        CHECK(app->get(0, 0) == "eelchat-listener");

        const std::vector<std::string> payloads{"1", "2", "3"};
        for (const auto& payload : payloads)
            co_await notify(*sender, payload);
        // Not a channel we listen on: never delivered.
        const auto other = db::params("elsewhere", "x");
        auto ignored = co_await sender->query("SELECT pg_notify($1, $2)", other, in(2s));
        REQUIRE(ok(ignored));
        auto quoted_args = db::params("a \"quoted\" channel", "4");
        auto quoted = co_await sender->query("SELECT pg_notify($1, $2)", quoted_args, in(2s));
        REQUIRE(ok(quoted));

        co_await wait_until([&] { return h.rec.notifications.size() == 5; }, 5s, "five notifications");
        const std::vector<std::string> expected{"connected", "n:during-resync", "n:1", "n:2", "n:3", "n:4"};
        CHECK(h.rec.events == expected);
        CHECK(h.rec.notifications[1].channel == channel);
        CHECK(h.rec.notifications[1].backend_pid == sender->backend_pid());
        CHECK(h.rec.notifications[4].channel == "a \"quoted\" channel");

        const auto took = co_await stop_and_join(h);
        CHECK(took < 500ms);
    }(h, scratch.url()));
}

TEST_CASE("listener: a terminated backend is replaced, with a resync before new notifications",
          "[pg][listener]") {
    eelchat::test::scratch_db scratch;
    harness h(options_for(scratch.url()));
    run_async(h.ctx, [](harness& h, std::string url) -> asio::awaitable<void> {
        co_await wait_until([&] { return h.listener->connected() && h.rec.resyncs == 1; }, 10s,
                            "the first connection");
        const int old_pid = h.listener->backend_pid();
        REQUIRE(old_pid != 0);

        auto admin = co_await open_connection(url);
        const auto victim = db::params(old_pid);
        auto terminated = co_await admin->query("SELECT pg_terminate_backend($1)", victim, in(2s));
        REQUIRE(ok(terminated));
        CHECK(terminated->get(0, 0) == "t");

        co_await wait_until(
            [&] { return h.listener->connects() == 2 && h.rec.resyncs == 2 && h.listener->connected(); }, 10s,
            "the listener to reconnect by itself");
        CHECK(h.listener->backend_pid() != old_pid);
        CHECK(h.listener->backend_pid() != 0);
        CHECK(h.rec.logged("listener_connection_lost") == 1);

        co_await notify(*admin, "after-reconnect");
        co_await wait_until([&] { return !h.rec.notifications.empty(); }, 5s, "a notification");
        const std::vector<std::string> expected{"connected", "connected", "n:after-reconnect"};
        CHECK(h.rec.events == expected);

        co_await stop_and_join(h);
    }(h, scratch.url()));
}

TEST_CASE("listener: while the database is down it retries with backoff, then reconnects",
          "[pg][listener][restart]") {
    eelchat::test::scratch_db scratch;
    auto opts = options_for(scratch.url());
    opts.connect_timeout = 1s;
    harness h(std::move(opts));
    run_async(
        h.ctx,
        [](harness& h) -> asio::awaitable<void> {
            co_await wait_until([&] { return h.listener->connected() && h.rec.resyncs == 1; }, 10s,
                                "the first connection");
        }(h),
        20s, leftovers::allow);

    restart_database_guard guard;
    eelchat::test::run_env_command("EELCHAT_TEST_PG_STOP");

    run_async(
        h.ctx,
        [](harness& h) -> asio::awaitable<void> {
            co_await wait_until([&] { return !h.listener->connected(); }, 10s, "the listener to notice");
            CHECK(h.listener->backend_pid() == 0);
            // Delays of 25-50, 50-100, 100-200, then 200-400 ms: a handful of attempts in this window,
            // where a loop without backoff would make thousands.
            const auto before = h.listener->connect_attempts();
            co_await sleep_for(1500ms);
            const auto attempts = h.listener->connect_attempts() - before;
            CHECK(attempts >= 3);
            CHECK(attempts <= 12);
            CHECK(h.listener->connects() == 1);
            CHECK_FALSE(h.listener->connected());
            CHECK(h.rec.logged("listener_backoff") >= attempts);
        }(h),
        20s, leftovers::allow);

    eelchat::test::run_env_command("EELCHAT_TEST_PG_START");
    guard.armed = false;

    run_async(h.ctx, [](harness& h, std::string url) -> asio::awaitable<void> {
        co_await wait_until(
            [&] { return h.listener->connects() == 2 && h.rec.resyncs == 2 && h.listener->connected(); }, 10s,
            "the listener to reconnect after the restart");
        auto sender = co_await open_connection(url);
        co_await notify(*sender, "back");
        co_await wait_until([&] { return !h.rec.notifications.empty(); }, 5s, "a notification");
        CHECK(h.rec.events.back() == "n:back");
        co_await stop_and_join(h);
    }(h, scratch.url()));
}

TEST_CASE("listener: stop() while connected ends run() at once and closes the connection", "[pg][listener]") {
    eelchat::test::scratch_db scratch;
    harness h(options_for(scratch.url()));
    run_async(h.ctx, [](harness& h, std::string url) -> asio::awaitable<void> {
        co_await wait_until([&] { return h.listener->connected() && h.rec.resyncs == 1; }, 10s,
                            "the first connection");
        const auto pid = db::params(h.listener->backend_pid());

        const auto took = co_await stop_and_join(h);
        CHECK(took < 500ms);
        CHECK_FALSE(h.listener->connected());
        CHECK(h.listener->backend_pid() == 0);
        CHECK(h.rec.logged("listener_stopped") == 1);
        h.listener->stop(); // idempotent

        // The server sees the session end (it learns of the close asynchronously: poll, bounded).
        auto admin = co_await open_connection(url);
        const auto give_up = in(5s);
        for (;;) {
            auto left =
                co_await admin->query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid, in(2s));
            REQUIRE(ok(left));
            if (left->get(0, 0) == "0") break;
            if (steady_clock::now() > give_up) FAIL("the listener's backend is still there");
            co_await sleep_for(10ms);
        }
    }(h, scratch.url()));
}

TEST_CASE("listener: stop() during a backoff sleep ends run() at once", "[pg][listener]") {
    // Nothing listens on port 1: every attempt is refused, and a 30 s backoff follows.
    auto opts = options_for("postgresql://postgres@127.0.0.1:1/postgres");
    opts.backoff_min = 30s;
    opts.backoff_max = 30s;
    harness h(std::move(opts));
    run_async(h.ctx, [](harness& h) -> asio::awaitable<void> {
        co_await wait_until([&] { return h.rec.logged("listener_backoff") == 1; }, 10s,
                            "the first failed attempt");
        CHECK(h.listener->connect_attempts() == 1);
        CHECK(h.rec.logged("listener_connect_failed") == 1);
        const auto took = co_await stop_and_join(h);
        CHECK(took < 500ms);
        CHECK(h.listener->connect_attempts() == 1);
        CHECK(h.listener->connects() == 0);
        CHECK(h.rec.resyncs == 0);
    }(h));
}

TEST_CASE("listener: stop() before run() makes run() return at once", "[pg][listener]") {
    asio::io_context ctx;
    db::listener l(ctx.get_executor(), options_for("postgresql://postgres@127.0.0.1:1/postgres"), {},
                   eelchat::logger::null());
    l.stop();
    run_async(ctx, l.run(), 2s);
    CHECK(l.connect_attempts() == 0);
}

TEST_CASE("listener: an on_connected that throws is a failed connection: reconnect and resync again",
          "[pg][listener]") {
    eelchat::test::scratch_db scratch;
    harness h(options_for(scratch.url()));
    h.rec.fail_next_resync = true;
    run_async(h.ctx, [](harness& h, std::string url) -> asio::awaitable<void> {
        co_await wait_until(
            [&] { return h.listener->connects() == 2 && h.rec.resyncs == 2 && h.listener->connected(); }, 10s,
            "a second connection after the failed resync");
        CHECK(h.rec.logged("listener_resync_failed") == 1);
        auto sender = co_await open_connection(url);
        co_await notify(*sender, "ok");
        co_await wait_until([&] { return !h.rec.notifications.empty(); }, 5s, "a notification");
        const std::vector<std::string> expected{"connected", "connected", "n:ok"};
        CHECK(h.rec.events == expected);
        co_await stop_and_join(h);
    }(h, scratch.url()));
}

TEST_CASE("listener: a silent connection is health-checked and kept", "[pg][listener]") {
    eelchat::test::scratch_db scratch;
    auto opts = options_for(scratch.url());
    opts.health_check_after = 50ms;
    harness h(std::move(opts));
    run_async(h.ctx, [](harness& h, std::string url) -> asio::awaitable<void> {
        co_await wait_until([&] { return h.rec.logged("listener_health_check") >= 3; }, 10s,
                            "three health checks");
        CHECK(h.listener->connects() == 1);
        CHECK(h.listener->connected());
        auto sender = co_await open_connection(url);
        co_await notify(*sender, "still here");
        co_await wait_until([&] { return !h.rec.notifications.empty(); }, 5s, "a notification");
        CHECK(h.listener->connects() == 1);
        co_await stop_and_join(h);
    }(h, scratch.url()));
}
