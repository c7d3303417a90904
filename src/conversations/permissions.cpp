#include "conversations/permissions.hpp"

namespace eelchat::conversations {

bool may_read(std::string_view kind, const reader& who) {
    if (!who.member) return false;
    return kind == "public" || who.channel_member;
}

bool may_edit(const db::message_row& m, std::string_view membership_id) {
    return !m.deleted && !m.is_system && m.membership_id && *m.membership_id == membership_id;
}

bool may_delete(const db::message_row& m, std::string_view membership_id, bool admin) {
    if (m.deleted) return false;
    if (admin) return true;
    return !m.is_system && m.membership_id && *m.membership_id == membership_id;
}

bool may_rename(std::string_view kind, const reader& who) {
    return who.admin && kind != "direct" && may_read(kind, who);
}

bool may_delete_channel(std::string_view kind, const reader& who) {
    return may_rename(kind, who);
}

bool may_choose_members(std::string_view kind, const reader& who) {
    return who.admin && kind == "private" && may_read(kind, who);
}

} // namespace eelchat::conversations
