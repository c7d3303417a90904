// The WebSocket frames the realtime feature sends to an open channel page, each framed once and shared by
// every subscriber: one per event of the channel's history (a message posted, edited, deleted or reacted
// to, a rename), the notice that the channel was deleted, the order to reload.
//
// Every event frame starts with the page's cursor (<input id="event-cursor" value="N">, swapped out of
// band), so the page always knows the last event it applied and asks for what follows when it
// reconnects. The rest are htmx out-of-band swaps: appends for new messages and replies, replacements for
// changes, a removal for a deleted message.
#pragma once

#include "db/channel_history.hpp"
#include "net/ws_frame.hpp"
#include "render/templates.hpp"

#include <string_view>

namespace eelchat::realtime {

// `href`: the channel's address (/community/C/channel/X), under which its messages' actions live.
net::ws_frame event_frame(render::templates& tpl, const db::event_row& e, std::string_view href);

// The frame that tells an open channel page its channel was deleted (built once per process).
net::ws_frame channel_gone_frame();

// The frame that makes a page reload itself: for a browser too far behind to replay what it missed.
net::ws_frame reload_frame();

} // namespace eelchat::realtime
