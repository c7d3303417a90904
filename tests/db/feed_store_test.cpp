// The feed bookkeeping in PostgreSQL: claims that exclude each other, results recorded only under a live
// claim, entries numbered in order after the channel's messages, and failures that back off.
#include "db/feed_store.hpp"
#include "db/support.hpp"
#include "support/app_server.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;
namespace asio = boost::asio;
using test::ok;

namespace {

struct feed_db {
    test::scratch_db db;
    asio::io_context ctx;
    std::unique_ptr<db::pool> pool;
    std::string channel;
    std::string user;

    feed_db() {
        test::apply_all_migrations(db.url());
        db::pool_config pc;
        pc.conninfo = db.url();
        pc.max_size = 2;
        pool = std::make_unique<db::pool>(ctx.get_executor(), pc, logger::null());
        channel =
            test::sql_value(db.url(), "WITH c AS (INSERT INTO communities (title) VALUES ('C') RETURNING id)"
                                      " INSERT INTO channels (community_id, title) SELECT id, 'Ch' FROM c"
                                      " RETURNING id");
        user =
            test::sql_value(db.url(), "INSERT INTO users (email) VALUES ('admin@example.org') RETURNING id");
    }
    ~feed_db() { pool->close(); }

    template <class T> T run(asio::awaitable<T> op) { return test::run_async(ctx, std::move(op)); }
    std::string value(const std::string& q) { return test::sql_value(db.url(), q); }
};

} // namespace

TEST_CASE("subscriptions per channel: added once, listed sorted, removed, and capped", "[pg][feeds]") {
    feed_db f;
    auto& p = *f.pool;
    auto sub = [&](std::string url, int max) {
        return f.run(db::subscribe_feed(p, f.channel, std::move(url), f.user, max, 100));
    };
    auto a = sub("https://b.example/feed", 3);
    REQUIRE(ok(a));
    CHECK(*a == db::subscribe_outcome::subscribed);
    auto again = sub("https://b.example/feed", 3);
    REQUIRE(ok(again));
    CHECK(*again == db::subscribe_outcome::already_subscribed);
    REQUIRE(ok(sub("https://a.example/feed", 3)));
    REQUIRE(ok(sub("https://c.example/feed", 3)));
    auto full = sub("https://d.example/feed", 3);
    REQUIRE(ok(full));
    CHECK(*full == db::subscribe_outcome::too_many_in_channel);

    auto urls = f.run(db::list_feed_urls(p, f.channel));
    REQUIRE(ok(urls));
    CHECK(*urls == std::vector<std::string>{"https://a.example/feed", "https://b.example/feed",
                                            "https://c.example/feed"});

    auto gone = f.run(db::unsubscribe_feed(p, f.channel, "https://b.example/feed"));
    REQUIRE(ok(gone));
    CHECK(*gone);
    auto not_there = f.run(db::unsubscribe_feed(p, f.channel, "https://b.example/feed"));
    REQUIRE(ok(not_there));
    CHECK_FALSE(*not_there);

    auto missing_channel = f.run(
        db::subscribe_feed(p, "00000000-0000-4000-8000-000000000000", "https://x.example", f.user, 3, 100));
    CHECK(test::failed(missing_channel));
}

TEST_CASE("one person's subscriptions are capped over all channels", "[pg][feeds]") {
    feed_db f;
    auto& p = *f.pool;
    const auto other = f.value("INSERT INTO channels (community_id, title) SELECT community_id, 'Other'"
                               " FROM channels LIMIT 1 RETURNING id");
    REQUIRE(ok(f.run(db::subscribe_feed(p, f.channel, "https://a.example/feed", f.user, 10, 2))));
    REQUIRE(ok(f.run(db::subscribe_feed(p, other, "https://b.example/feed", f.user, 10, 2))));
    auto third = f.run(db::subscribe_feed(p, other, "https://c.example/feed", f.user, 10, 2));
    REQUIRE(ok(third));
    CHECK(*third == db::subscribe_outcome::too_many_for_user);
    // Another admin of the same channel has an allowance of their own.
    const auto second = f.value("INSERT INTO users (email) VALUES ('other@example.org') RETURNING id");
    auto theirs = f.run(db::subscribe_feed(p, other, "https://c.example/feed", second, 10, 2));
    REQUIRE(ok(theirs));
    CHECK(*theirs == db::subscribe_outcome::subscribed);
}

TEST_CASE("a due feed is claimed by one poller at a time, and a late result under a lost claim is dropped",
          "[pg][feeds]") {
    feed_db f;
    auto& p = *f.pool;
    REQUIRE(ok(f.run(db::subscribe_feed(p, f.channel, "https://a.example/feed", f.user, 10, 100))));
    REQUIRE(ok(f.run(db::post_system_message(p, f.channel, "before"))));

    auto first = f.run(db::claim_due_feeds(p, 10, std::chrono::seconds(60)));
    REQUIRE(ok(first));
    REQUIRE(first->size() == 1);
    auto second = f.run(db::claim_due_feeds(p, 10, std::chrono::seconds(60)));
    REQUIRE(ok(second));
    CHECK(second->empty()); // claimed: another poller does not get it

    // The first poller stalls past its lease; another takes the feed over.
    test::sql_exec(f.db.url(), "UPDATE subscriptions SET claimed_until = now() - interval '1 second'");
    auto takeover = f.run(db::claim_due_feeds(p, 10, std::chrono::seconds(60)));
    REQUIRE(ok(takeover));
    REQUIRE(takeover->size() == 1);
    CHECK(takeover->front().claim_token != first->front().claim_token);

    db::feed_fetch_record late;
    late.messages = {"late entry"};
    late.last_post_uri = "late";
    auto dropped = f.run(db::record_feed_fetch(p, first->front(), late));
    REQUIRE(ok(dropped));
    CHECK_FALSE(*dropped);
    CHECK(f.value("SELECT count(*) FROM messages WHERE text = 'late entry'") == "0");

    db::feed_fetch_record rec;
    rec.messages = {"entry 1", "entry 2", "entry 3"};
    rec.last_post_uri = "id-3";
    rec.etag = "\"v1\"";
    auto kept = f.run(db::record_feed_fetch(p, takeover->front(), rec));
    REQUIRE(ok(kept));
    CHECK(*kept);
    CHECK(f.value("SELECT string_agg(seq || ':' || text, ',' ORDER BY seq) FROM messages") ==
          "1:before,2:entry 1,3:entry 2,4:entry 3");
    CHECK(f.value("SELECT last_seq FROM channels") == "4");
    CHECK(f.value("SELECT last_post_uri || ' ' || etag || ' ' || (claim_token IS NULL)"
                  " || ' ' || (next_fetch_at > now() + interval '29 minutes') FROM subscriptions") ==
          "id-3 \"v1\" true true");
    // Recorded once: the same claim cannot record again.
    auto twice = f.run(db::record_feed_fetch(p, takeover->front(), rec));
    REQUIRE(ok(twice));
    CHECK_FALSE(*twice);
    CHECK(f.value("SELECT count(*) FROM messages") == "4");
}

TEST_CASE("a failed fetch is recorded with its error and retried later", "[pg][feeds]") {
    feed_db f;
    auto& p = *f.pool;
    REQUIRE(ok(f.run(db::subscribe_feed(p, f.channel, "https://a.example/feed", f.user, 10, 100))));
    auto claimed = f.run(db::claim_due_feeds(p, 10, std::chrono::seconds(60)));
    REQUIRE(ok(claimed));
    REQUIRE(claimed->size() == 1);
    auto recorded =
        f.run(db::record_feed_failure(p, claimed->front(), "HTTP 404", std::chrono::seconds(600)));
    REQUIRE(ok(recorded));
    CHECK(*recorded);
    CHECK(f.value("SELECT error || ' ' || failures || ' ' || (next_fetch_at > now() + interval '9 minutes')"
                  " FROM subscriptions") == "HTTP 404 1 true");
    auto none_due = f.run(db::claim_due_feeds(p, 10, std::chrono::seconds(60)));
    REQUIRE(ok(none_due));
    CHECK(none_due->empty());

    // Deleting the channel deletes its subscriptions.
    test::sql_exec(f.db.url(), "DELETE FROM channels");
    CHECK(f.value("SELECT count(*) FROM subscriptions") == "0");
}
