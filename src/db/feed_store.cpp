#include "db/feed_store.hpp"

#include "db/params.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

namespace eelchat::db {

namespace asio = boost::asio;

asio::awaitable<result<std::int64_t>> post_system_message(pool& db, std::string channel_id,
                                                          std::string text) {
    // As post_message: the channel's row lock orders concurrent posts and keeps numbers gap-free.
    auto args = params(std::move(channel_id), std::move(text));
    auto r = co_await db.query(
        "WITH c AS (UPDATE channels SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)"
        " INSERT INTO messages (channel_id, seq, is_system, text)"
        " SELECT $1, c.last_seq, true, $2 FROM c RETURNING seq",
        std::move(args));
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return make_error_code(sqlstate::foreign_key_violation);
    auto seq = to_int(r->get(0, 0));
    if (!seq) co_return make_error_code(errc::protocol_error);
    co_return *seq;
}

asio::awaitable<result<std::vector<std::string>>> list_feed_urls(pool& db, std::string channel_id) {
    auto args = params(std::move(channel_id));
    auto r = co_await db.query("SELECT url FROM subscriptions WHERE channel_id = $1 ORDER BY url",
                               std::move(args));
    if (!r) co_return r.error();
    std::vector<std::string> urls;
    urls.reserve(static_cast<std::size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i)
        urls.emplace_back(r->get(i, 0));
    co_return urls;
}

asio::awaitable<result<subscribe_outcome>> subscribe_feed(pool& db, std::string channel_id, std::string url,
                                                          std::string user_id, int max_per_channel,
                                                          int max_per_user) {
    // One statement, so the counts and the insert see the same snapshot. The channel's row lock
    // serialises admins of one channel (FOR UPDATE); one user racing two channels past their own limit
    // by one is harmless.
    auto args =
        params(std::move(channel_id), std::move(url), max_per_channel, std::move(user_id), max_per_user);
    auto r = co_await db.query(
        "WITH ch AS (SELECT id FROM channels WHERE id = $1 FOR UPDATE),"
        " existing AS (SELECT 1 FROM subscriptions WHERE channel_id = $1 AND url = $2),"
        " n AS (SELECT count(*) AS c FROM subscriptions WHERE channel_id = $1),"
        " mine AS (SELECT count(*) AS c FROM subscriptions WHERE created_by = $4::uuid),"
        " ins AS (INSERT INTO subscriptions (channel_id, url, created_by)"
        "   SELECT ch.id, $2, $4::uuid FROM ch, n, mine WHERE n.c < $3 AND mine.c < $5"
        "   AND NOT EXISTS (SELECT 1 FROM existing)"
        "   ON CONFLICT (channel_id, url) DO NOTHING RETURNING 1)"
        " SELECT (SELECT count(*) FROM ch), (SELECT count(*) FROM existing), (SELECT count(*) FROM ins),"
        " (SELECT c FROM n) < $3",
        std::move(args));
    if (!r) co_return r.error();
    if (r->get(0, 0) == "0") co_return make_error_code(sqlstate::foreign_key_violation);
    if (r->get(0, 2) == "1") co_return subscribe_outcome::subscribed;
    if (r->get(0, 1) == "1") co_return subscribe_outcome::already_subscribed;
    if (r->get(0, 3) == "f") co_return subscribe_outcome::too_many_in_channel;
    co_return subscribe_outcome::too_many_for_user;
}

asio::awaitable<result<bool>> unsubscribe_feed(pool& db, std::string channel_id, std::string url) {
    auto args = params(std::move(channel_id), std::move(url));
    auto r =
        co_await db.query("DELETE FROM subscriptions WHERE channel_id = $1 AND url = $2", std::move(args));
    if (!r) co_return failure<bool>(r.error());
    co_return r->affected_rows() > 0;
}

asio::awaitable<result<std::vector<claimed_feed>>> claim_due_feeds(pool& db, int limit,
                                                                   std::chrono::seconds lease) {
    auto args = params(limit, static_cast<std::int64_t>(lease.count()));
    auto r = co_await db.query(
        "WITH due AS (SELECT id FROM subscriptions"
        "   WHERE next_fetch_at <= now() AND (claimed_until IS NULL OR claimed_until < now())"
        "   ORDER BY next_fetch_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
        " UPDATE subscriptions s SET claimed_until = now() + make_interval(secs => $2),"
        "   claim_token = gen_random_uuid()"
        " FROM due WHERE s.id = due.id"
        " RETURNING s.id, s.channel_id, s.url, s.last_post_uri, s.etag, s.last_modified, s.failures, "
        "s.claim_token",
        std::move(args));
    if (!r) co_return r.error();
    std::vector<claimed_feed> out;
    out.reserve(static_cast<std::size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i) {
        claimed_feed f;
        f.id = std::string(r->get(i, 0));
        f.channel_id = std::string(r->get(i, 1));
        f.url = std::string(r->get(i, 2));
        f.last_post_uri = optional_text(*r, i, 3);
        f.etag = optional_text(*r, i, 4);
        f.last_modified = optional_text(*r, i, 5);
        f.failures = static_cast<int>(to_int(r->get(i, 6)).value_or(0));
        f.claim_token = std::string(r->get(i, 7));
        out.push_back(std::move(f));
    }
    co_return out;
}

asio::awaitable<result<bool>> record_feed_fetch(pool& db, const claimed_feed& feed, feed_fetch_record rec) {
    // The messages travel as one JSON array and are numbered in that order after the channel's newest;
    // the channel counter moves once for all of them. Everything happens only if the claim still holds.
    boost::json::array texts;
    for (auto& m : rec.messages)
        texts.emplace_back(m);
    auto args = params(feed.id, feed.claim_token, std::move(rec.etag), std::move(rec.last_modified),
                       std::move(rec.last_post_uri), static_cast<std::int64_t>(rec.next_fetch_in.count()),
                       boost::json::serialize(texts));
    auto r = co_await db.query(
        "WITH s AS (UPDATE subscriptions SET fetched_at = now(), next_fetch_at = now() + make_interval(secs "
        "=> $6),"
        "     claimed_until = NULL, claim_token = NULL, error = NULL, failures = 0,"
        "     etag = COALESCE($3, etag), last_modified = COALESCE($4, last_modified),"
        "     last_post_uri = COALESCE($5, last_post_uri)"
        "   WHERE id = $1 AND claim_token = $2 RETURNING channel_id),"
        " t AS (SELECT value AS text, ordinality AS n FROM json_array_elements_text($7::json) WITH "
        "ORDINALITY),"
        " k AS (SELECT count(*) AS c FROM t),"
        " c AS (UPDATE channels SET last_seq = last_seq + k.c FROM s, k"
        "   WHERE channels.id = s.channel_id AND k.c > 0 RETURNING channels.id, channels.last_seq),"
        " ins AS (INSERT INTO messages (channel_id, seq, is_system, text)"
        "   SELECT c.id, c.last_seq - k.c + t.n, true, t.text FROM c, k, t RETURNING 1)"
        " SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM ins)",
        std::move(args));
    if (!r) co_return failure<bool>(r.error());
    co_return r->get(0, 0) == "1";
}

asio::awaitable<result<bool>> record_feed_failure(pool& db, const claimed_feed& feed, std::string error,
                                                  std::chrono::seconds retry_in) {
    auto args =
        params(feed.id, feed.claim_token, std::move(error), static_cast<std::int64_t>(retry_in.count()));
    auto r = co_await db.query(
        "UPDATE subscriptions SET fetched_at = now(), next_fetch_at = now() + make_interval(secs => $4),"
        "   claimed_until = NULL, claim_token = NULL, error = left($3, 500), failures = failures + 1"
        " WHERE id = $1 AND claim_token = $2",
        std::move(args));
    if (!r) co_return failure<bool>(r.error());
    co_return r->affected_rows() > 0;
}

} // namespace eelchat::db
