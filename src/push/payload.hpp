// What a push notification says, as the JSON the service worker (public/sw.js) shows: the title (who and
// where), the start of the message, the address that opens the channel at that message, and a tag that
// folds a channel's notifications into one. Pure.
#pragma once

#include "db/push_store.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace eelchat::push {

// Characters (code points) of the message text a notification shows.
inline constexpr std::size_t body_length = 180;

// {"title": "Alice in #general", "body": "...", "url": "/community/C/channel/H?at=M", "tag": "channel-H"}
// A direct conversation is titled by the author alone. Never longer than encryption's plaintext limit.
std::string push_payload(const db::claimed_notification& n);

// The first `max` code points of UTF-8 `s` (invalid bytes dropped), with "…" when it was cut, and line
// breaks turned into spaces.
std::string excerpt(std::string_view s, std::size_t max);

} // namespace eelchat::push
