// A channel's history of changes, read forward: every posted message and every later change (edit,
// deletion, reaction, rename) under one gap-free sequence per channel (see db/migrations/0005). The hub
// reads it to deliver live changes and a reconnecting page replays it from its cursor, the same way.
// Each event comes with the current state of what it names, so replaying old events shows today's state.
#pragma once

#include "db/error.hpp"
#include "db/message_store.hpp"
#include "db/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace eelchat::db {

enum class event_kind { posted, edited, deleted, reacted, renamed };

// For a rename: the names as they are now.
struct names_row {
    std::string channel_id; // the event's own channel
    std::string channel_title;
    std::string channel_topic;
    std::string channel_kind;
    std::string community_id;
    std::string community_title;
    std::optional<std::string> subject_channel_id; // the renamed channel; nullopt: the community was renamed
    std::string subject_title;
    std::string subject_kind;
};

struct event_row {
    std::int64_t seq = 0;
    event_kind kind = event_kind::posted;
    std::optional<message_row> message; // every kind but renamed
    // A reply's parent, for its reply count: its sequence number and count now.
    std::optional<std::int64_t> parent_seq;
    int parent_reply_count = 0;
    std::optional<names_row> names; // renamed
};

// Up to `limit` events of the channel with seq > `after`, oldest first.
boost::asio::awaitable<result<std::vector<event_row>>> events_after(pool& db, std::string channel_id,
                                                                    std::int64_t after, int limit);
// Where a channel's history stands: its newest sequence number (0 for a new channel), and its community.
struct channel_position {
    std::int64_t last_seq = 0;
    std::string community_id;
};
// nullopt if the channel is gone.
boost::asio::awaitable<result<std::optional<channel_position>>> find_channel_position(pool& db,
                                                                                      std::string channel_id);

} // namespace eelchat::db
