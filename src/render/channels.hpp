// Rendering what names a channel: its header on the channel page (title, topic, admin buttons), its
// row in the sidebar, and the out-of-band swaps that carry a rename to open pages.
#pragma once

#include "db/channel_history.hpp"
#include "db/chat_store.hpp"
#include "render/templates.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace eelchat::render {

std::string render_channel_header(templates& tpl, const db::channel_row& ch, std::string_view href,
                                  bool oob = false);
// `unread`: what the member has not read there (attention), shown as a count and a mention mark whose
// accessible names say "N unread" and "mentioned"; `online`: the other person of a direct conversation
// has eelchat open.
struct link_attention {
    std::int64_t last_seq = 0;
    int unread = 0;
    int mentions = 0;
    bool online = false;
};
std::string render_channel_link(templates& tpl, const db::channel_row& ch, const std::string& community_id,
                                bool active, bool oob = false, const link_attention& attention = {});
// A rename as seen from the page of channel names.channel_id: its header, the renamed channel's row in
// the sidebar, and the community's name in the community switcher.
std::string render_rename(templates& tpl, const db::names_row& names, std::string_view href);

} // namespace eelchat::render
