// A channel page opened at a message (?at=<message id>, the links of search results): the messages
// around it instead of the newest, the message marked for the page's script to highlight and scroll to
// (public/js/search.js), older history loading as usual when scrolled up, and a link back to the newest.
#pragma once

#include "db/chat_store.hpp"
#include "db/error.hpp"
#include "routes/context.hpp"
#include "routes/guards.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace eelchat::routes {

struct context_history {
    std::string html;          // the #messages content
    std::int64_t last_seq = 0; // the page's cursor
};

// nullopt when `message_id` is not a (not deleted) message of the channel: the page opens as usual.
boost::asio::awaitable<db::result<std::optional<context_history>>>
context_fragment(request_context& ctx, const community_access& access, const db::channel_row& channel,
                 std::string message_id);

} // namespace eelchat::routes
