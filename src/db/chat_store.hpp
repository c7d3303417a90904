// Queries of the chat itself: communities, memberships, channels and messages. Ids are canonical UUID
// strings; callers validate ids from URLs first (a malformed id is a 404 before any query).
#pragma once

#include "db/error.hpp"
#include "db/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace eelchat::db {

struct community_row {
    std::string id;
    std::string title;
};

struct membership_row {
    std::string id;
    std::string community_id;
    std::string community_title;
    bool admin = false;
};

struct channel_row {
    std::string id;
    std::string title;
};

struct message_row {
    std::string id;
    std::int64_t seq = 0;
    std::optional<std::string> membership_id; // nullopt: system, or a former member
    std::optional<std::string> display_name;  // the author's, if they set one
    bool is_system = false;
    std::string text;
    std::string created_iso;   // 2026-05-25T15:42:07Z
    std::string created_label; // "25 May 3:42 PM" (UTC), as eelchat shows it
};

struct posted_message {
    std::string id;
    std::int64_t seq = 0;
    bool duplicate = false; // the same client id was posted before; nothing new was stored
};

// The user's communities with their role, in the order they joined.
boost::asio::awaitable<result<std::vector<membership_row>>> list_memberships(pool& db, std::string user_id);
// Creates the community and makes the user its admin, in one statement; returns the community id.
// A community with the user's membership (if any) and, when `channel_id` is given, that channel of the
// community (if it exists): what a route needs to decide who may do what, in one query. nullopt when the
// community does not exist.
struct community_access_row {
    community_row community;
    std::optional<membership_row> membership;
    std::optional<channel_row> channel;
};
boost::asio::awaitable<result<std::optional<community_access_row>>>
find_community_access(pool& db, std::string user_id, std::string community_id, std::optional<std::string> channel_id);
// Creates the community and makes the user its admin, in one statement; returns the community id.
boost::asio::awaitable<result<std::string>> create_community(pool& db, std::string user_id, std::string title);
// Makes the user a member (no roles); joining twice changes nothing.
boost::asio::awaitable<result<void>> join_community(pool& db, std::string user_id, std::string community_id);

boost::asio::awaitable<result<std::vector<channel_row>>> list_channels(pool& db, std::string community_id);
boost::asio::awaitable<result<std::string>> create_channel(pool& db, std::string community_id, std::string title);
// Deletes the channel with its messages and subscriptions; false if it was not there.
boost::asio::awaitable<result<bool>> delete_channel(pool& db, std::string community_id, std::string channel_id);

// Up to `limit` messages of the channel older than `before_seq` (all when nullopt), oldest first.
boost::asio::awaitable<result<std::vector<message_row>>> recent_messages(pool& db, std::string channel_id,
                                                                         std::optional<std::int64_t> before_seq,
                                                                         int limit);
// Up to `limit` messages of the channel with seq > `after`, oldest first (reading forward for delivery).
boost::asio::awaitable<result<std::vector<message_row>>> messages_after(pool& db, std::string channel_id,
                                                                        std::int64_t after, int limit);
// The channel's newest sequence number (0 for an empty channel); nullopt if the channel is gone.
boost::asio::awaitable<result<std::optional<std::int64_t>>> channel_last_seq(pool& db, std::string channel_id);

// Stores a member's message with the next sequence number of its channel. A repeated client id of the
// same member stores nothing and reports the earlier message as a duplicate.
boost::asio::awaitable<result<posted_message>> post_message(pool& db, std::string channel_id,
                                                            std::string membership_id, std::string text,
                                                            std::string client_id);

} // namespace eelchat::db
