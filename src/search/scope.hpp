// Where a search looks: the channels the searcher may read (db::list_channels gives exactly those:
// every public channel, and the private channels and direct conversations they belong to), narrowed by
// in:channel. Pure, so the rule is tested without a database.
#pragma once

#include "db/chat_store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace eelchat::search {

struct scope {
    std::vector<std::string> channel_ids;
    std::optional<std::string> unknown_channel; // an in: name no readable channel has
};

// Channels whose title equals one of `in` without ASCII case (a direct conversation's title is the other
// people's names, as the sidebar shows it); all of `readable` when `in` is empty.
scope channels_to_search(const std::vector<db::channel_row>& readable, const std::vector<std::string>& in);

} // namespace eelchat::search
