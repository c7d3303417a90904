// What draws a member's attention, in the database: read markers and unread counts, the people a
// mention can name, typing announcements, and presence (which process has which user's pages open). See
// db/migrations/0008_attention.sql for the tables and the announcements' forms.
#pragma once

#include "db/error.hpp"
#include "db/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace eelchat::db {

// Counting stops here: a channel shows "1000 unread" at most.
constexpr int max_unread_counted = 1000;

struct unread_row {
    std::string channel_id;
    std::int64_t last_seq = 0; // the channel's newest event when counted
    std::int64_t read_seq = 0; // the member's marker (0: none yet)
    int unread = 0;            // messages after the marker by others, not replies, not deleted
    int mentions = 0;          // of those, the ones that mention the member or @channel
};

// Every channel of the community the member may read.
boost::asio::awaitable<result<std::vector<unread_row>>> unread_counts(pool& db, std::string community_id,
                                                                      std::string membership_id);

// Moves the member's marker of a channel they may read to `seq` (clamped to the channel's last_seq):
// only forward, unless `backwards` (mark as unread). When it moved, announces
//   r:<membership id>:<channel id>:<read seq>:<last seq>:<unread>:<mentions>
// so the member's other pages, on every instance, show the same counts. nullopt: the channel is not
// readable by that member (or gone). `moved` is false when the marker already stood there.
struct read_marker {
    unread_row counts;
    bool moved = false;
};
boost::asio::awaitable<result<std::optional<read_marker>>>
set_read_marker(pool& db, std::string community_id, std::string membership_id, std::string channel_id,
                std::int64_t seq, bool backwards);

// The member's marker in one channel; without one, the newest message from before they joined (the
// counts' rule), so the "New" line sits above the first message they have not seen.
// `saved`: the member has a marker there (has read the channel before).
struct read_position {
    std::int64_t seq = 0;
    bool saved = false;
};
boost::asio::awaitable<result<read_position>> read_marker_of(pool& db, std::string channel_id,
                                                             std::string membership_id);

// Whether the member of the community may read the channel (public, or among its own members).
boost::asio::awaitable<result<bool>> may_read_channel(pool& db, std::string community_id,
                                                      std::string membership_id, std::string channel_id);

// t:<channel id>:<membership id>:<name>: someone typing, never stored.
boost::asio::awaitable<result<void>> announce_typing(pool& db, std::string channel_id, std::string membership_id,
                                                     std::string name);

struct mention_candidate {
    std::string membership_id;
    std::string user_id;
    std::string name; // as pages show it
};
// People who may read the channel whose shown name, or a word of it, starts with `prefix` (any case);
// by name, at most `limit`.
boost::asio::awaitable<result<std::vector<mention_candidate>>>
mention_candidates(pool& db, std::string channel_id, std::string prefix, int limit);

// The readers of the channel whose shown name, lower-cased in ASCII, is one of `folded_names`:
// (folded name, membership id) pairs.
boost::asio::awaitable<result<std::vector<std::pair<std::string, std::string>>>>
resolve_mentions(pool& db, std::string channel_id, std::vector<std::string> folded_names);

// The readers of a private channel or direct conversation (its channel_members); empty for a public one,
// which every member of its community reads. With the channel's community and kind.
struct channel_audience {
    std::string community_id;
    std::string kind;
    std::vector<std::string> members;
};
boost::asio::awaitable<result<std::optional<channel_audience>>> channel_audience_of(pool& db,
                                                                                   std::string channel_id);

// --- Presence ----------------------------------------------------------------------------------------

// This process is alive: its row in instances (created if missing). true when it had to be created
// (first call, or a sweep by another instance removed it): the caller then writes its presence again.
// Also sweeps processes not seen for 60 seconds, announcing p:<user id> for each user they had.
boost::asio::awaitable<result<bool>> instance_heartbeat(pool& db, std::string instance_id);
// This process stops: its rows go, announced as above.
boost::asio::awaitable<result<void>> remove_instance(pool& db, std::string instance_id);

struct presence_count {
    std::string user_id;
    int tabs = 0;
    int visible = 0;
};
// Writes this process's counts for these users (a row with no tabs is deleted) and announces
// p:<user id> for each.
boost::asio::awaitable<result<void>> write_presence(pool& db, std::string instance_id,
                                                    std::vector<presence_count> counts);

// Whether the user has a page open on a live process, and the communities they belong to.
struct user_presence {
    bool online = false;
    std::vector<std::string> communities;
};
boost::asio::awaitable<result<user_presence>> presence_of(pool& db, std::string user_id);

// The members of the community who have a page open on a live process: their user ids.
boost::asio::awaitable<result<std::vector<std::string>>> online_members(pool& db, std::string community_id);

} // namespace eelchat::db
