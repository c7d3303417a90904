// Slash commands typed as chat messages: /list, /subscribe URL, /unsubscribe URL. The message itself is
// always stored as typed; a command then gets a reply from the system author, numbered after it.
// Parsing and the reply wording are plain functions (feeds/slash_command.hpp); run_slash_command does
// the work. Who typed the command and where is the caller's to establish (routes/chat_routes.cpp, after
// authorization).
#pragma once

#include "core/log.hpp"
#include "feeds/slash_command.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace eelchat::db {
class pool;
}

namespace eelchat::feeds {

class poller;

// Where a command runs and who typed it.
struct command_context {
    db::pool& db;
    logger log;
    std::uint64_t request_id = 0;    // for the log lines
    std::string channel_id;          // the channel the command was posted to
    std::string user_id;             // its author
    bool admin = false;              // whether its author is an admin of the channel's community
    bool allow_private = false;      // FEEDS_ALLOW_PRIVATE=1
    feeds::poller* poller = nullptr; // woken after a subscription, to fetch it at once; may be null
    int max_per_channel = 20;        // FEEDS_MAX_PER_CHANNEL
    int max_per_user = 50;           // FEEDS_MAX_PER_USER
};

// Runs the command of a message the member just posted to the channel and posts the reply. Failures are
// logged; the message itself was stored before, so nothing the user typed is lost. Completes when the
// reply is stored (or could not be); no cancellation.
boost::asio::awaitable<void> run_slash_command(const command_context& ctx, slash_command cmd);

} // namespace eelchat::feeds
