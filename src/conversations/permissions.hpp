// Who may do what in a conversation: plain decisions the routes and the socket call after loading the
// member's access, so each rule is stated once and unit-tested without a server.
//
// - A public channel is read by every member of its community; a private channel and a direct
//   conversation only by their own members (an admin who is not among them does not see them either).
// - Authors edit their own messages; authors and community admins delete them (system messages too,
//   for admins); nobody edits or deletes a deleted message.
// - Admins who can read a channel rename it and delete it; direct conversations have no name to change.
//   Admins who belong to a private channel choose its members.
#pragma once

#include "db/message_store.hpp"

#include <string_view>

namespace eelchat::conversations {

struct reader {
    bool member = false;         // of the community
    bool admin = false;          // of the community
    bool channel_member = false; // among the channel's own members (private, direct)
};

bool may_read(std::string_view channel_kind, const reader& who);
bool may_edit(const db::message_row& m, std::string_view membership_id);
bool may_delete(const db::message_row& m, std::string_view membership_id, bool admin);
bool may_rename(std::string_view channel_kind, const reader& who);
bool may_delete_channel(std::string_view channel_kind, const reader& who);
bool may_choose_members(std::string_view channel_kind, const reader& who);

} // namespace eelchat::conversations
