// What a chat message says as a slash command (/list, /subscribe URL, /unsubscribe URL), and the fixed
// reply texts. Pure functions over strings, apart from feeds/commands.hpp (which runs a command against
// the database) so that tests and the fuzz target link them alone.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace eelchat::feeds {

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

} // namespace eelchat::feeds
