// The WebSocket frames the realtime feature sends to an open channel page, each framed once and shared by
// every subscriber: a new message, the notice that the channel was deleted, the order to reload.
#pragma once

#include "db/chat_store.hpp"
#include "net/ws_frame.hpp"
#include "render/templates.hpp"

namespace eelchat::realtime {

// A message as the WebSocket pushes it: the channel page's message fragment (render::render_message) as an
// htmx out-of-band swap appended to #messages, header and payload in one buffer.
net::ws_frame message_frame(render::templates& tpl, const db::message_row& m);

// The frame that tells an open channel page its channel was deleted (built once per process).
net::ws_frame channel_gone_frame();

// The frame that makes a page reload itself: for a browser too far behind to replay what it missed.
net::ws_frame reload_frame();

} // namespace eelchat::realtime
