// Slash commands typed as chat messages: /list, /subscribe URL, /unsubscribe URL. The message itself is
// always stored as typed; a command then gets a reply from the system author, numbered after it.
// Parsing and the reply wording are plain functions; run_slash_command does the work.
#pragma once

#include "routes/context.hpp"
#include "routes/guards.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace eelchat::routes {

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

// Runs the command of a message the member just posted to `channel` and posts the reply. Failures are
// logged; the message itself was stored before, so nothing the user typed is lost. Completes when the
// reply is stored (or could not be); no cancellation.
boost::asio::awaitable<void> run_slash_command(request_context& ctx, const community_access& access,
                                               const db::channel_row& channel, slash_command cmd);

} // namespace eelchat::routes
