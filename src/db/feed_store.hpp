// Queries of feeds: a channel's subscriptions (the slash commands), system messages, and the poller's
// claim-fetch-record cycle. A subscription is due when its next_fetch_at has passed; the poller claims
// due subscriptions for a lease under a fresh token (SKIP LOCKED, so instances never wait for each
// other), fetches, and records the result only if its token still holds. A claim that ran out (a crashed
// or very slow instance) can be taken by another instance, and the late result is then thrown away.
#pragma once

#include "db/error.hpp"
#include "db/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace eelchat::db {

// Stores a system message (command replies, feed entries) with the channel's next sequence number;
// returns that number. Fails with foreign_key_violation when the channel is gone.
boost::asio::awaitable<result<std::int64_t>> post_system_message(pool& db, std::string channel_id,
                                                                 std::string text);

// The channel's feed URLs, sorted.
boost::asio::awaitable<result<std::vector<std::string>>> list_feed_urls(pool& db, std::string channel_id);

enum class subscribe_outcome { subscribed, already_subscribed, too_many_in_channel, too_many_for_user };
// Subscribes the channel to `url` for `user_id`, due at once; a channel follows at most `max_per_channel`
// feeds, and one user subscribes at most `max_per_user` over all channels.
boost::asio::awaitable<result<subscribe_outcome>> subscribe_feed(pool& db, std::string channel_id,
                                                                 std::string url, std::string user_id,
                                                                 int max_per_channel, int max_per_user);
// False when the channel did not follow `url`.
boost::asio::awaitable<result<bool>> unsubscribe_feed(pool& db, std::string channel_id, std::string url);

struct claimed_feed {
    std::string id;
    std::string channel_id;
    std::string url;
    std::optional<std::string> last_post_uri;
    std::optional<std::string> etag;
    std::optional<std::string> last_modified;
    int failures = 0;        // consecutive failed fetches before this one
    std::string claim_token; // proves the claim when recording
};

// Claims up to `limit` due, unclaimed (or expired-claim) subscriptions for `lease`, oldest due first.
boost::asio::awaitable<result<std::vector<claimed_feed>>> claim_due_feeds(pool& db, int limit,
                                                                          std::chrono::seconds lease);

struct feed_fetch_record {
    // New validators and newest entry; nullopt keeps the stored value (a 304 sends none).
    std::optional<std::string> etag;
    std::optional<std::string> last_modified;
    std::optional<std::string> last_post_uri;
    std::vector<std::string> messages; // posted in this order, as system messages
    std::chrono::seconds next_fetch_in{1800};
};

// Records a successful fetch and posts its messages, in one statement. False (and nothing stored) when
// the claim no longer holds: it expired and another instance took it, or the subscription is gone.
boost::asio::awaitable<result<bool>> record_feed_fetch(pool& db, const claimed_feed& feed,
                                                       feed_fetch_record rec);
// Records a failed fetch: the error, one more failure, and when to retry. False as above.
boost::asio::awaitable<result<bool>> record_feed_failure(pool& db, const claimed_feed& feed,
                                                         std::string error, std::chrono::seconds retry_in);

} // namespace eelchat::db
