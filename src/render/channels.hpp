// Rendering what names a channel: its header on the channel page (title, topic, admin buttons), its
// row in the sidebar, and the out-of-band swaps that carry a rename to open pages.
#pragma once

#include "db/channel_history.hpp"
#include "db/chat_store.hpp"
#include "render/templates.hpp"

#include <string>
#include <string_view>

namespace eelchat::render {

std::string render_channel_header(templates& tpl, const db::channel_row& ch, std::string_view href,
                                  bool oob = false);
std::string render_channel_link(templates& tpl, const db::channel_row& ch, const std::string& community_id,
                                bool active, bool oob = false);
// A rename as seen from the page of channel names.channel_id: its header, the renamed channel's row in
// the sidebar, and the community's name in the community switcher.
std::string render_rename(templates& tpl, const db::names_row& names, std::string_view href);

} // namespace eelchat::render
