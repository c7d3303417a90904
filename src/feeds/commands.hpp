// Slash commands typed as chat messages: /list, /subscribe URL, /unsubscribe URL. The message itself is
// always stored as typed; a command then gets a reply from the system author, numbered after it.
// Parsing and the reply wording are plain functions; run_slash_command does the work. Who typed the
// command and where is the caller's to establish (routes/chat_routes.cpp, after authorization).
#pragma once

#include "core/log.hpp"

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

struct slash_command {
    enum class kind {
        none,        // an ordinary message (also "/subscribed", "/foo", "a /list")
        list,        // /list
        subscribe,   // /subscribe URL
        unsubscribe, // /unsubscribe URL
        usage,       // a known command with the wrong arguments; `name` says which
    };
    kind what = kind::none;
    std::string name;     // "list", "subscribe", "unsubscribe" (for usage and refusals)
    std::string argument; // the URL, as typed
};

// Recognises a command: the whole message (surrounding whitespace ignored) is the command name and its
// arguments separated by whitespace. /subscribe and /unsubscribe take exactly one URL; /list none.
slash_command parse_slash_command(std::string_view text);

// Whether only the community's admins may run it (/list is for every member).
bool admin_only(const slash_command& cmd);

// Reply texts.
std::string usage_reply(const slash_command& cmd);
std::string admins_only_reply(const slash_command& cmd);
std::string list_reply(const std::vector<std::string>& sorted_urls);

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
