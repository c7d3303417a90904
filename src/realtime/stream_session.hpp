// A page's attention stream (GET /community/:id/stream), from the accepted upgrade on: it joins the
// worker's streams and the hub's watch of the community, counts the page in the user's presence, sends
// the unread counts and who is here, and then takes what the page says: "read up to N in channel C",
// "typing in C", "this tab is visible / hidden". Who may connect is the route's decision.
//
// Whatever a page sends, its cost stays bounded: at most max_messages per 10 seconds (beyond, the socket
// closes with 1008), one typing announcement per 2 seconds, one read-marker write in flight with later
// markers coalesced, and each channel's access checked once per socket.
#pragma once

#include "realtime/streams.hpp"
#include "realtime/subscription.hpp"

namespace eelchat::realtime {

struct stream_start {
    stream_identity who;
    bool visible = false; // the page was in front when it connected
    std::chrono::seconds idle_timeout{60};
    std::shared_ptr<void> hold; // released when the socket's session ends (the route's connection caps)
};

void start_stream(const worker_parts& parts, stream_start request, boost::asio::ip::tcp::socket socket,
                  net::http_request req);

} // namespace eelchat::realtime
