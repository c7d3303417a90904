// Rendering messages: the same fragment for the channel page, older-history pages, threads and the realtime
// push (realtime/frames.hpp), so a message looks the same however it arrives. A fragment is the same for
// every viewer (it is rendered once and shared): what differs per viewer, such as the Edit button on
// one's own messages and the highlight of one's own reactions, the page's script decides from the
// data-author and data-by attributes (public/js/eelchat.js).
#pragma once

#include "db/message_store.hpp"
#include "render/templates.hpp"

#include <span>
#include <string>
#include <string_view>

namespace eelchat::render {

// "User 3f2a" (the first four hex digits of the membership id, as eelchat shows authors), the display
// name when the author set one, "System" for system messages, "Former member" when the membership is gone.
std::string author_label(const db::message_row& m);
// Up to two letters for an avatar: the initials of a display name, else the label's code ("3F").
std::string initials(std::string_view label);
// One of eight avatar colours, the same for a person everywhere (from their user id).
int avatar_colour(std::string_view user_id);

// A message's buttons name their action relative to the message ("edit", "reactions", "." for itself):
// the page's script puts the channel's address (#messages' data-href) and the message's data-id in front
// (htmx:configRequest), which keeps a fragment small. `href` is the channel's address, for what is not
// relative.
// `oob`: the fragment replaces the element of the same id where it is (an edit arriving live).
std::string render_message(templates& tpl, const db::message_row& m, std::string_view href, bool oob = false);
std::string render_messages(templates& tpl, std::span<const db::message_row> ms, std::string_view href);
// The reaction buttons of a message (id reactions-SEQ).
std::string render_reactions(templates& tpl, const db::message_row& m, std::string_view href,
                             bool oob = false);
// "1 reply", "3 replies" as a button that opens the thread; empty for no replies.
std::string render_reply_count(templates& tpl, const std::string& message_id, int count,
                               std::string_view href);
std::string reply_count_label(int count);

} // namespace eelchat::render
