// Queries of channels: the ones a member may see, creating, renaming and deleting them, the members of
// private channels, and direct conversations. Who may do what is the caller's decision.
#pragma once

#include "db/chat_store.hpp"
#include "db/error.hpp"
#include "db/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace eelchat::db {

// The community's channels this member may see: every public one, and the private channels and direct
// conversations they belong to (these titled, for direct ones, by the other people's names). Public and
// private by title, then direct conversations by their names.
boost::asio::awaitable<result<std::vector<channel_row>>> list_channels(pool& db, std::string community_id,
                                                                       std::string membership_id);
// A public or private channel; a private one starts with its creator as its only member.
boost::asio::awaitable<result<std::string>> create_channel(pool& db, std::string community_id,
                                                           std::string title, bool is_private,
                                                           std::string creator_membership_id);
// Deletes the channel with its messages and subscriptions; false if it was not there.
boost::asio::awaitable<result<bool>> delete_channel(pool& db, std::string community_id,
                                                    std::string channel_id);
// New title and topic, as a rename event: in the channel itself, and for a public channel in every channel
// of the community too (their sidebars list it).
boost::asio::awaitable<result<bool>> rename_channel(pool& db, std::string community_id,
                                                    std::string channel_id, std::string title,
                                                    std::string topic);

// The membership ids of a private channel's or direct conversation's members.
boost::asio::awaitable<result<std::vector<std::string>>> channel_member_ids(pool& db, std::string channel_id);
// Makes the private channel's members exactly `membership_ids` (those of its community; others are
// ignored). Removed members' sockets close (a notification).
boost::asio::awaitable<result<void>> set_channel_members(pool& db, std::string community_id,
                                                         std::string channel_id,
                                                         std::vector<std::string> membership_ids);
// The direct conversation of exactly these members of the community (the starter among them), created
// when it does not exist yet; nullopt when one of them is not a member of the community.
boost::asio::awaitable<result<std::optional<std::string>>>
open_direct(pool& db, std::string community_id, std::vector<std::string> membership_ids);

} // namespace eelchat::db
