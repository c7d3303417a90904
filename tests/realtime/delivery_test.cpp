// Realtime delivery over real sockets and a real PostgreSQL: two eelchat instances on one database,
// WebSocket subscribers on both, and many posters; every subscriber must get every message of its channel
// exactly once and in order, through a killed listener, a database restart and a reader that stalls.
#include "support/app_server.hpp"
#include "support/browser.hpp"
#include "support/channel_socket.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <numeric>
#include <thread>

using namespace eelchat;
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

constexpr std::string_view origin = "http://localhost:8080"; // the fixtures' BASE_URL

using test::location;
std::string last_segment(const std::string& l) {
    return l.substr(l.rfind('/') + 1);
}

std::vector<std::int64_t> range(std::int64_t from, std::int64_t to) {
    std::vector<std::int64_t> v(static_cast<std::size_t>(to - from + 1));
    std::iota(v.begin(), v.end(), from);
    return v;
}

// Two instances sharing a database; alice uses the first, bob the second; both are members of one
// community with channels x and y.
struct cluster {
    test::app_server a;
    test::app_server b{{}, a.db.url()};
    test::browser alice{a.port()}, bob{b.port()};
    std::string community, x, y;

    cluster() {
        test::sign_in(alice, a.mail, "alice@example.com");
        test::sign_in(bob, b.mail, "bob@example.com");
        community = location(alice.post("/community"));
        x = location(alice.post(community + "/channel"));
        y = location(alice.post(community + "/channel"));
        REQUIRE(location(bob.post(community + "/join")) == community);
        bob.get(x);
    }

    // Posts `n` messages to `channel` as `who`, each with its own client id; returns when all are stored.
    static void post_many(test::browser& who, const std::string& channel, int n, const std::string& tag) {
        for (int i = 0; i < n; ++i) {
            auto r = who.post(channel,
                              {{"text", tag + " " + std::to_string(i)}, {"client_id", crypto_uuid(i, tag)}},
                              true, true);
            REQUIRE(r.result() == http::status::ok);
        }
    }

    static std::string crypto_uuid(int i, const std::string& tag) {
        // Deterministic per (tag, i) so a retry would be a duplicate, distinct otherwise.
        char buf[37];
        std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012x",
                      static_cast<unsigned>(std::hash<std::string>{}(tag)), static_cast<unsigned>(i));
        return buf;
    }
};

// Sockets opened and read on a thread of their own while the test thread posts.
class subscribers {
public:
    struct spec {
        std::uint16_t port;
        std::string target;
        std::string cookie;
        std::size_t want;
        int receive_buffer = 0;
        bool read = true; // false: connect, then never read (a stalled reader)
    };

    explicit subscribers(std::vector<spec> specs) : specs_(std::move(specs)) {
        for (std::size_t i = 0; i < specs_.size(); ++i)
            sockets_.push_back(std::make_unique<test::channel_socket>(ctx_.get_executor()));
        statuses_.resize(specs_.size());
        for (std::size_t i = 0; i < specs_.size(); ++i)
            asio::co_spawn(ctx_, connect(i), asio::detached);
        // Connect everyone before anything is posted.
        ctx_.run_for(std::chrono::seconds(10));
        ctx_.restart();
        for (auto s : statuses_)
            REQUIRE(s == 101u);
    }

    // Reads until every reading socket has what it wants (or its limit passes).
    void collect(std::chrono::seconds limit) {
        for (std::size_t i = 0; i < specs_.size(); ++i)
            if (specs_[i].read) asio::co_spawn(ctx_, collect_one(i, limit), asio::detached);
        thread_ = std::thread([this, limit] { ctx_.run_for(limit + std::chrono::seconds(5)); });
    }
    void wait() {
        if (thread_.joinable()) thread_.join();
    }
    test::channel_socket& operator[](std::size_t i) { return *sockets_[i]; }
    // Runs more work on the sockets' own io_context (after wait()).
    template <class T> T run(asio::awaitable<T> work, std::chrono::seconds limit) {
        wait();
        return test::run_async(ctx_, std::move(work), limit, test::leftovers::allow);
    }
    asio::any_io_executor executor() { return ctx_.get_executor(); }
    ~subscribers() { wait(); }

private:
    asio::awaitable<void> connect(std::size_t i) {
        statuses_[i] = co_await sockets_[i]->connect(specs_[i].port, specs_[i].target, specs_[i].cookie,
                                                     std::string(origin), specs_[i].receive_buffer);
    }
    asio::awaitable<void> collect_one(std::size_t i, std::chrono::seconds limit) {
        co_await sockets_[i]->collect(specs_[i].want, limit);
    }

    asio::io_context ctx_;
    std::vector<spec> specs_;
    std::vector<std::unique_ptr<test::channel_socket>> sockets_;
    std::vector<unsigned> statuses_;
    std::thread thread_;
};

} // namespace

TEST_CASE("two instances, many posters: every subscriber gets its channel's messages once, in order",
          "[pg][realtime]") {
    cluster c;
    const auto xs = c.x + "/connect?after=0";
    const auto ys = c.y + "/connect?after=0";
    subscribers subs({{c.a.port(), xs, c.alice.cookie(), 120},
                      {c.a.port(), xs, c.bob.cookie(), 120},
                      {c.b.port(), xs, c.bob.cookie(), 120},
                      {c.b.port(), xs, c.alice.cookie(), 120},
                      {c.b.port(), ys, c.bob.cookie(), 10}});
    subs.collect(std::chrono::seconds(30));
    // Posters on both instances at once, to two channels.
    std::thread other([&] { cluster::post_many(c.bob, c.x, 60, "bob"); });
    cluster::post_many(c.alice, c.x, 60, "alice");
    cluster::post_many(c.alice, c.y, 10, "alice-y");
    other.join();
    subs.wait();
    for (std::size_t i = 0; i < 4; ++i) {
        INFO("subscriber " << i);
        CHECK(subs[i].seqs() == range(1, 120));
    }
    CHECK(subs[4].seqs() == range(1, 10));
    for (const auto& f : subs[4].frames())
        CHECK_THAT(f, !Catch::Contains("bob "));
}

TEST_CASE("nothing is lost when the listener's backend is killed or PostgreSQL restarts",
          "[pg][realtime][restart]") {
    cluster c;
    const auto xs = c.x + "/connect?after=0";
    subscribers subs({{c.a.port(), xs, c.alice.cookie(), 90}, {c.b.port(), xs, c.bob.cookie(), 90}});
    subs.collect(std::chrono::seconds(60));

    cluster::post_many(c.alice, c.x, 30, "before");
    test::sql_exec(
        c.a.db.url(),
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'eelchat-listener'");
    cluster::post_many(c.bob, c.x, 30, "after-kill");

    test::run_env_command("EELCHAT_TEST_PG_STOP");
    test::run_env_command("EELCHAT_TEST_PG_START");
    // The instances' pools reconnect on demand; the first post may meet a connection the restart broke.
    for (int i = 0; i < 30; ++i) {
        auto r = c.alice.post(c.x,
                              {{"text", "after restart " + std::to_string(i)},
                               {"client_id", cluster::crypto_uuid(i, "restart")}},
                              true, true);
        if (r.result() == http::status::service_unavailable) {
            --i; // the message was not stored (503): send it again, as a person would
            continue;
        }
        REQUIRE(r.result() == http::status::ok);
    }
    subs.wait();
    CHECK(subs[0].seqs() == range(1, 90));
    CHECK(subs[1].seqs() == range(1, 90));
}

TEST_CASE("a reader that stalls is cut off without slowing the others, and catches up on reconnect",
          "[pg][realtime]") {
    cluster c;
    // Large messages fill a stalled reader's socket and queue quickly.
    const std::string big(3900, 'w');
    subscribers subs({{c.a.port(), c.x + "/connect?after=0", c.alice.cookie(), 1400},
                      {c.a.port(), c.x + "/connect?after=0", c.bob.cookie(), 0, 4096, false}});
    subs.collect(std::chrono::seconds(60));
    const std::string channel_id = last_segment(c.x);
    // Seven bursts of 200. The fast reader takes each before the next arrives (a burst larger than a
    // socket's queue would cut off even a fast reader, by design); the stalled one keeps falling behind.
    for (int burst = 0; burst < 7; ++burst) {
        const int first = burst * 200 + 1, last = first + 199;
        test::sql_exec(c.a.db.url(),
                       "WITH ch AS (UPDATE channels SET last_seq = " + std::to_string(last) +
                           " WHERE id = '" + channel_id +
                           "' RETURNING id) INSERT INTO messages (channel_id, seq, membership_id, text)"
                           " SELECT ch.id, n, (SELECT id FROM memberships LIMIT 1), '" +
                           big +
                           " ' || n FROM ch,"
                           " generate_series(" +
                           std::to_string(first) + ", " + std::to_string(last) + ") n");
        for (int i = 0; i < 2000 && subs[0].received() < static_cast<std::size_t>(last); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        REQUIRE(subs[0].received() == static_cast<std::size_t>(last));
    }
    subs.wait();
    CHECK(subs[0].seqs() == range(1, 1400)); // the fast reader got everything

    // The stalled one was closed with 1013 (try again later): read what is in its pipe until the close.
    subs.run(subs[1].collect(100000, std::chrono::seconds(30)), std::chrono::seconds(40));
    CHECK(subs[1].closed());
    CHECK(subs[1].close_code() == 1013);
    REQUIRE(subs[1].seqs().size() < 1400);

    // Its reconnect, with the cursor of what it did get, replays the rest once, in order.
    const auto got = subs[1].seqs().empty() ? 0 : subs[1].seqs().back();
    test::channel_socket again(subs.executor());
    const auto status = subs.run(again.connect(c.a.port(), c.x + "/connect?after=" + std::to_string(got),
                                               c.bob.cookie(), std::string(origin)),
                                 std::chrono::seconds(10));
    REQUIRE(status == 101u);
    const auto replay =
        subs.run(again.collect(static_cast<std::size_t>(1400 - got), std::chrono::seconds(30)),
                 std::chrono::seconds(40));
    CHECK(replay == range(got + 1, 1400));
}

TEST_CASE("only members of the channel's community get the upgrade, and only from our origin",
          "[pg][realtime][authz]") {
    cluster c;
    test::browser stranger(c.a.port()), anon(c.a.port());
    test::sign_in(stranger, c.a.mail, "stranger@example.com");
    anon.get("/");
    auto other_community = location(stranger.post("/community"));
    auto other_channel = location(stranger.post(other_community + "/channel"));

    asio::io_context ctx;
    auto status = [&](const std::string& target, const std::string& cookie,
                      std::string from = std::string(origin)) {
        test::channel_socket s(ctx.get_executor());
        return test::run_async(ctx, s.connect(c.a.port(), target, cookie, from), std::chrono::seconds(10),
                               test::leftovers::allow);
    };
    CHECK(status(c.x + "/connect", c.alice.cookie()) == 101u);
    CHECK(status(c.x + "/connect", stranger.cookie()) == 403u); // signed in, not a member
    CHECK(status(c.x + "/connect", anon.cookie()) == 403u);     // not signed in
    CHECK(status(c.x + "/connect", "") == 403u);                // no session at all
    CHECK(status(c.x + "/connect", c.alice.cookie(), "http://evil.example") == 403u);
    CHECK(status(c.x + "/connect", c.alice.cookie(), "") == 403u);
    CHECK(status(c.community + "/channel/" + last_segment(other_channel) + "/connect", c.alice.cookie()) ==
          404u);
    // A plain GET of the address is not an upgrade.
    CHECK(c.alice.get(c.x + "/connect").result() == http::status::bad_request);
}

TEST_CASE("sockets close when the channel is deleted, on sign-out, and with 1012 on shutdown",
          "[pg][realtime]") {
    cluster c;
    // One event at a time, each awaited: the deletion's notice must reach bob's instance before it stops.
    subscribers deleted({{c.b.port(), c.x + "/connect", c.bob.cookie(), 1000}});
    deleted.collect(std::chrono::seconds(20));
    REQUIRE(c.alice.del(c.x).result() == http::status::ok); // on the other instance than bob's socket
    deleted.wait();                                         // until the socket closed
    REQUIRE(!deleted[0].frames().empty());
    CHECK_THAT(deleted[0].frames().back(), Catch::Contains("This channel was deleted."));
    CHECK(deleted[0].close_code() == 1000);

    subscribers subs({{c.a.port(), c.y + "/connect", c.alice.cookie(), 1000},
                      {c.b.port(), c.y + "/connect", c.bob.cookie(), 1000}});
    subs.collect(std::chrono::seconds(20));
    REQUIRE(location(c.alice.post("/auth/signout")) == "/");
    c.b.srv->stop();
    subs.wait();
    CHECK(subs[0].close_code() == 1008);
    CHECK(subs[1].close_code() == 1012);
}

TEST_CASE("a member who loses their membership is disconnected", "[pg][realtime]") {
    cluster c;
    subscribers subs({{c.b.port(), c.y + "/connect", c.bob.cookie(), 1000}});
    subs.collect(std::chrono::seconds(20));
    test::sql_exec(
        c.a.db.url(),
        "DELETE FROM memberships WHERE user_id = (SELECT id FROM users WHERE email = 'bob@example.com')");
    subs.wait();
    CHECK(subs[0].closed());
    CHECK(subs[0].close_code() == 1008);
}
