// The feed poller against a local feed server: two instances polling the same feeds post every new entry
// exactly once, broken feeds are recorded and retried later without holding up the good ones, and an
// unchanged feed answered with 304 posts nothing.
#include "feeds/poller.hpp"
#include "support/app_server.hpp"
#include "support/feed_server.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace eelchat;

TEST_CASE("a failing feed is retried after 5 minutes, doubling up to 12 hours", "[unit][feeds]") {
    using std::chrono::seconds;
    CHECK(feeds::retry_delay(1) == seconds(300));
    CHECK(feeds::retry_delay(2) == seconds(600));
    CHECK(feeds::retry_delay(3) == seconds(1200));
    CHECK(feeds::retry_delay(9) == seconds(12 * 3600));
    CHECK(feeds::retry_delay(1000) == seconds(12 * 3600));
}

namespace {

// Stories first..last, newest first as feeds list them.
std::string rss_with_items(int first, int last) {
    std::vector<test::feed_server::rss_item> items;
    for (int i = last; i >= first; --i) {
        const auto n = std::to_string(i);
        items.push_back({"story-" + n, "Story " + n, "https://news.example/" + n,
                         "Mon, 0" + n + " Nov 2026 10:00:00 GMT", "Text " + n});
    }
    return test::feed_server::rss(items, "News");
}

// Waits until `query` gives `want` (the poller works on its own thread), failing after 30 seconds.
void wait_for_value(const std::string& db, const std::string& query, const std::string& want) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::string got;
    while ((got = test::sql_value(db, query)) != want) {
        if (std::chrono::steady_clock::now() > deadline) FAIL(query << " gave " << got << ", not " << want);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

} // namespace

TEST_CASE("two instances polling the same feeds post every new entry once, and broken feeds wait their turn",
          "[pg][feeds]") {
    test::feed_server feeds;
    feeds.set_body("/updating.xml", rss_with_items(1, 2));
    test::app_server a;
    test::app_server b({}, a.db.url());
    const auto db = a.db.url();
    const auto channel =
        test::sql_value(db, "WITH c AS (INSERT INTO communities (title) VALUES ('C') RETURNING id)"
                            " INSERT INTO channels (community_id, title) SELECT id, 'News' FROM c"
                            " RETURNING id");
    const std::vector<std::string> good = {"/updating.xml", "/rss2.xml", "/atom.xml",
                                           "/redirect/2",   "/etag.xml", "/gzip.xml"};
    const std::vector<std::string> broken = {"/malformed.xml", "/not-a-feed.html", "/status/404",
                                             "/huge.xml",      "/slow.xml",        "/redirect-loop"};
    std::string values;
    for (const auto& p : good)
        values += std::string(values.empty() ? "" : ",") + "('" + channel + "', '" + feeds.url(p) + "')";
    for (const auto& p : broken)
        values += ",('" + channel + "', '" + feeds.url(p) + "')";
    test::sql_exec(db, "INSERT INTO subscriptions (channel_id, url) VALUES " + values);

    // Both instances look at once, as after a start or a /subscribe on each.
    a.feeds->wake();
    b.feeds->wake();
    const std::string all = std::to_string(good.size() + broken.size());
    wait_for_value(db, "SELECT count(*) FROM subscriptions WHERE fetched_at IS NOT NULL", all);

    // The first fetch of a feed posts only its newest entry: one message per good feed, each once.
    CHECK(test::sql_value(db, "SELECT count(*) FROM messages WHERE is_system") ==
          std::to_string(good.size()));
    CHECK(test::sql_value(db, "SELECT count(*) FROM messages WHERE text LIKE 'Story 2 |%'") == "1");
    // Each feed was fetched by one instance only (/redirect/2 ends at /rss2.xml, which counts it too).
    const auto fetched_once = [&](const std::string& p) { return p == "/rss2.xml" ? 2u : 1u; };
    for (const auto& p : good) {
        CAPTURE(p);
        CHECK(feeds.hits(p) == fetched_once(p));
    }
    CHECK(test::sql_value(db, "SELECT count(*) FROM subscriptions WHERE error IS NULL AND failures = 0"
                              " AND next_fetch_at > now() + interval '29 minutes'") ==
          std::to_string(good.size()));
    for (const auto& p : broken) {
        CAPTURE(p);
        CHECK(
            test::sql_value(db, "SELECT (error <> '') || ' ' || failures || ' ' || (next_fetch_at > now() + "
                                "interval '4 minutes') FROM subscriptions WHERE url = '" +
                                    feeds.url(p) + "'") == "true 1 true");
    }

    // Three new stories; everything good is due again, and both instances poll at the same moment.
    feeds.set_body("/updating.xml", rss_with_items(1, 5));
    test::sql_exec(db,
                   "UPDATE subscriptions SET next_fetch_at = now(), fetched_at = NULL WHERE error IS NULL");
    a.feeds->wake();
    b.feeds->wake();
    wait_for_value(db, "SELECT count(*) FROM subscriptions WHERE fetched_at IS NOT NULL", all);

    CHECK(test::sql_value(db, "SELECT string_agg(split_part(text, ' |', 1), ',' ORDER BY seq) FROM messages"
                              " WHERE text LIKE 'Story%'") == "Story 2,Story 3,Story 4,Story 5");
    // Unchanged feeds post nothing; the one with validators was asked conditionally and answered 304.
    CHECK(test::sql_value(db, "SELECT count(*) FROM messages") == std::to_string(good.size() + 3));
    for (const auto& p : good) {
        CAPTURE(p);
        CHECK(feeds.hits(p) == 2 * fetched_once(p));
    }
    CHECK(feeds.last_header("/etag.xml", "If-None-Match").value_or("") == "\"v1\"");
}

TEST_CASE("a feed is fetched while others trickle their bytes: no fetch waits for another", "[pg][feeds]") {
    test::feed_server feeds;
    test::app_server a;
    const auto db = a.db.url();
    const auto channel =
        test::sql_value(db, "WITH c AS (INSERT INTO communities (title) VALUES ('C') RETURNING id)"
                            " INSERT INTO channels (community_id, title) SELECT id, 'News' FROM c"
                            " RETURNING id");
    // Four feeds that send a byte every 200 ms (each held until the fetch deadline), due first.
    std::string values;
    for (int i = 1; i <= 4; ++i)
        values += std::string(values.empty() ? "" : ",") + "('" + channel + "', '" +
                  feeds.url("/trickle.xml?" + std::to_string(i)) + "', now() - interval '1 minute')";
    values += ",('" + channel + "', '" + feeds.url("/rss2.xml") + "', now())";
    test::sql_exec(db, "INSERT INTO subscriptions (channel_id, url, next_fetch_at) VALUES " + values);
    a.feeds->wake();
    wait_for_value(db,
                   "SELECT count(*) FROM subscriptions WHERE fetched_at IS NOT NULL AND url = '" +
                       feeds.url("/rss2.xml") + "'",
                   "1");
    // The good feed did not wait for the trickling ones, which are all still being fetched.
    CHECK(test::sql_value(db, "SELECT count(*) FROM subscriptions WHERE url LIKE '%trickle%'"
                              " AND (fetched_at IS NOT NULL OR error IS NOT NULL)") == "0");
}
