// Queries of communities and their members (channels: channel_store.hpp; messages: message_store.hpp). Ids
// are canonical UUID strings; callers validate ids from URLs first (a malformed id is a 404 before any
// query).
#pragma once

#include "db/error.hpp"
#include "db/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace eelchat::db {

struct community_row {
    std::string id;
    std::string title;
    bool everyone_may_mention_channel = false; // else only admins may use @channel
};

struct membership_row {
    std::string id;
    std::string community_id;
    std::string community_title;
    bool admin = false;
};

struct channel_row {
    std::string id;
    std::string title;           // a direct conversation's: the names of the other people in it
    std::string kind = "public"; // public, private or direct
    std::string topic;
    // A direct conversation of two: the other person's user id (for their presence); list_channels only.
    std::optional<std::string> peer_user_id;
    bool is_private() const { return kind != "public"; }
};

// The user's communities with their role, in the order they joined.
boost::asio::awaitable<result<std::vector<membership_row>>> list_memberships(pool& db, std::string user_id);
// A community with the user's membership (if any) and, when `channel_id` is given, that channel of the
// community (if it exists): what a route needs to decide who may do what, in one query. nullopt when the
// community does not exist.
struct community_access_row {
    community_row community;
    std::optional<membership_row> membership;
    std::optional<channel_row> channel;
    bool channel_member = false; // the membership is among the channel's own members (private, direct)
    bool banned = false;         // an admin removed this user from the community
};
boost::asio::awaitable<result<std::optional<community_access_row>>>
find_community_access(pool& db, std::string user_id, std::string community_id,
                      std::optional<std::string> channel_id);
// Creates the community and makes the user its admin, in one statement; returns the community id.
boost::asio::awaitable<result<std::string>> create_community(pool& db, std::string user_id,
                                                             std::string title);
// Makes the user a member (no roles); joining twice changes nothing. False when an admin removed them.
boost::asio::awaitable<result<bool>> join_community(pool& db, std::string user_id, std::string community_id);
// Renames the community, as a rename event in each of its channels (pages of every channel see it).
boost::asio::awaitable<result<void>> rename_community(pool& db, std::string community_id, std::string title);
// Whether members who are not admins may mention @channel.
boost::asio::awaitable<result<void>> set_everyone_may_mention_channel(pool& db, std::string community_id,
                                                                      bool allowed);

// A member as the members page and pickers show them.
struct member_row {
    std::string membership_id;
    std::string user_id;
    std::optional<std::string> display_name;
    bool admin = false;
};
// The community's members, by name.
boost::asio::awaitable<result<std::vector<member_row>>> community_members(pool& db, std::string community_id);
// Removes the member and keeps them from joining again; false if they were not a member.
boost::asio::awaitable<result<bool>> remove_member(pool& db, std::string community_id,
                                                   std::string membership_id);
// Gives the member the admin role; false if they are not a member.
boost::asio::awaitable<result<bool>> make_admin(pool& db, std::string community_id,
                                                std::string membership_id);

} // namespace eelchat::db
