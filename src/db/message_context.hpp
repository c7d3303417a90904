// A message in its context: the top-level messages of its channel just before and after it, for a page
// opened at a message (a search result). A reply is shown at the message it answers.
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

struct message_context {
    std::vector<message_row> messages; // oldest first, the anchor among them
    std::int64_t anchor_seq = 0;       // the message (or, for a reply, the message it answers)
    std::string anchor_id;
    bool older = false;        // messages before the first shown
    bool newer = false;        // messages after the last shown
    std::int64_t last_seq = 0; // the channel's history as of the same snapshot (the page's cursor)
};

// Up to `before` messages before the anchor and `after` after it (shown as recent_messages shows them:
// deleted ones only when replies hang on them). nullopt when `message_id` is not a message of the channel
// or is deleted.
boost::asio::awaitable<result<std::optional<message_context>>>
messages_around(pool& db, std::string channel_id, std::string message_id, int before, int after);

} // namespace eelchat::db
