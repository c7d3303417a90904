// Rendering messages: the same fragment for the channel page, older-history pages and the realtime push
// (realtime/frames.hpp), so a message looks the same however it arrives.
#pragma once

#include "db/chat_store.hpp"
#include "render/templates.hpp"

#include <memory>
#include <span>
#include <string>

namespace eelchat::render {

// "User 3f2a" (the first four hex digits of the membership id, as eelchat shows authors), the display
// name when the author set one, "System" for system messages, "Former member" when the membership is gone.
std::string author_label(const db::message_row& m);

std::string render_message(templates& tpl, const db::message_row& m);
std::string render_messages(templates& tpl, std::span<const db::message_row> ms);

} // namespace eelchat::render
