// Queries of messages: reading pages of a channel and a thread, posting, editing, deleting, reacting.
// Every change takes the channel's next sequence number in the same statement (channel_history.hpp), so
// changes reach open pages in one order. Ids are canonical UUID strings, validated by the caller.
#pragma once

#include "db/error.hpp"
#include "db/pg_result.hpp"
#include "db/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eelchat::db {

// One emoji on a message: how many reacted, and who (the first ones, enough to show and highlight).
struct reaction_summary {
    std::string emoji;
    int count = 0;
    std::vector<std::string> members; // membership ids, oldest first, at most 100
    std::vector<std::string> names;   // their names as shown, at most 10
};

// A file attached to a message, as its message shows it.
struct attachment_summary {
    std::string id;
    std::string name;
    std::string content_type; // sniffed by the server
    std::int64_t size = 0;
    bool inline_image = false; // decoded as an image by the server: shown in the page
    bool has_thumbnail = false;
    int width = 0, height = 0; // the thumbnail's
};

struct message_row {
    std::string id;
    std::int64_t seq = 0;
    std::optional<std::string> membership_id; // nullopt: system, or a former member
    std::optional<std::string> display_name;  // the author's, if they set one
    std::optional<std::string> author_user_id;
    bool is_system = false;
    std::string text;
    std::optional<std::string> html; // rendered markdown; nullopt: shown as plain text
    std::string created_iso;         // 2026-05-25T15:42:07Z
    std::string created_label;       // "25 May 3:42 PM" (UTC), as eelchat shows it
    std::optional<std::string> edited_iso;
    std::optional<std::string> edited_label;
    bool deleted = false;
    std::optional<std::string> parent_id; // a reply: the message it answers
    int reply_count = 0;
    std::vector<reaction_summary> reactions;
    // The people it mentions (membership id, their name now), and whether it mentions @channel.
    std::vector<std::pair<std::string, std::string>> mentions;
    bool mention_channel = false;
    std::vector<attachment_summary> attachments; // none for a deleted message
};

struct posted_message {
    std::string id;
    std::int64_t seq = 0;
    bool duplicate = false; // the same client id was posted before; nothing new was stored
};

// The select list and joins that read a message_row from `m` (messages); read_message parses them from
// column `first` on. Shared with channel_history.cpp, which reads messages inside its events.
extern const std::string_view message_select;
extern const std::string_view message_joins;
constexpr int message_column_count = 19;
message_row read_message(const pg_result& r, int row, int first);

// Up to `limit` top-level messages of the channel older than `before_seq` (all when nullopt), oldest first.
// Deleted messages are left out, unless replies hang on them. `last_seq`: the channel's history as of the
// same snapshot, so a page that shows these messages asks for the events after it and misses none.
struct message_page {
    std::vector<message_row> messages;
    std::int64_t last_seq = 0;
};
boost::asio::awaitable<result<message_page>>
recent_messages(pool& db, std::string channel_id, std::optional<std::int64_t> before_seq, int limit);
// The message `message_id` of the channel and up to `limit` of its replies (the oldest), or nullopt when
// the message is not a top-level message of that channel.
struct thread_rows {
    message_row parent;
    std::vector<message_row> replies;
};
boost::asio::awaitable<result<std::optional<thread_rows>>> thread_messages(pool& db, std::string channel_id,
                                                                           std::string message_id, int limit);
// One message of the channel (deleted ones included), or nullopt.
boost::asio::awaitable<result<std::optional<message_row>>> find_message(pool& db, std::string channel_id,
                                                                        std::string message_id);
// The newest message of this member in the channel that they can still edit (for Up arrow), or nullopt.
boost::asio::awaitable<result<std::optional<message_row>>> last_own_message(pool& db, std::string channel_id,
                                                                            std::string membership_id);

// What a member posts. `html`: the text rendered from markdown. `parent_id`: a reply's top-level message,
// which the caller checked belongs to the channel.
struct new_message {
    std::string channel_id;
    std::string membership_id;
    std::string text;
    std::optional<std::string> html;
    std::optional<std::string> parent_id;
    std::string client_id;
    std::vector<std::string> mentions; // membership ids, resolved among the channel's readers
    bool mention_channel = false;
    // Upload ids, in the order the message shows them: pending uploads of this member in this channel.
    std::vector<std::string> attachments;
};
// Stores a member's message with the next sequence number of its channel. A repeated client id of the
// same member stores nothing and reports the earlier message as a duplicate.
boost::asio::awaitable<result<posted_message>> post_message(pool& db, new_message m);

// Each change below takes the channel's next number, as an event naming the message; false when the
// message is not there (or already deleted) and nothing changed. The caller decided who may.
// `mentions`, `mention_channel`: as the new text resolves them (see new_message).
boost::asio::awaitable<result<bool>> edit_message(pool& db, std::string channel_id, std::string message_id,
                                                  std::string text, std::string html,
                                                  std::vector<std::string> mentions = {},
                                                  bool mention_channel = false);
// The text goes; the row and its number stay (replies may hang on it).
boost::asio::awaitable<result<bool>> delete_message(pool& db, std::string channel_id, std::string message_id);

enum class reaction_outcome { added, removed, too_many_kinds, no_message };
// Adds the member's `emoji` to the message, or removes it when they had it. A new kind of emoji is
// refused when the message already has `max_kinds`.
boost::asio::awaitable<result<reaction_outcome>> toggle_reaction(pool& db, std::string channel_id,
                                                                 std::string message_id,
                                                                 std::string membership_id, std::string emoji,
                                                                 int max_kinds);

} // namespace eelchat::db
