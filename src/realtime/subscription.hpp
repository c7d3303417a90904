// A browser's WebSocket for one channel, from the accepted upgrade on: it joins the worker's subscribers,
// registers the channel with the hub, replays from the database what the browser missed (from its cursor),
// then lets live messages through, each exactly once and in order. Who may subscribe is the route's
// decision (routes/realtime_routes.cpp); this is what happens once they may.
#pragma once

#include "core/log.hpp"
#include "net/http.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace eelchat::db {
class pool;
}
namespace eelchat::render {
class templates;
}

namespace eelchat::realtime {

class hub;
class subscriber_registry;

// What the upgrade request asked for and the route checked.
struct subscription_request {
    std::string channel_id;
    std::string href;                   // the channel's address (/community/C/channel/X)
    std::string session_hash;           // the session's sockets close when it signs out
    std::string membership_id;          // and when the membership ends
    std::optional<std::int64_t> cursor; // ?after=N: the last event the page applied
    std::chrono::seconds idle_timeout{60};
    std::shared_ptr<void> hold; // released when the socket's session ends (the route's connection caps)
};

// The worker's parts a subscription uses; all of them outlive every socket of the worker.
struct worker_parts {
    realtime::hub& hub;
    subscriber_registry& subscribers;
    db::pool& db;
    render::templates& tpl;
    logger log;
};

// Starts the socket's session on `socket` (the 101 answer goes out with the first frames). Everything
// after runs on the session's callbacks, so an idle subscriber keeps no coroutine frame alive. A browser
// more than max_replay messages behind is told to reload instead of replaying.
void start_subscription(const worker_parts& parts, subscription_request request,
                        boost::asio::ip::tcp::socket socket, net::http_request req);

// Accepts the upgrade only to close it at once with 1008 (policy violation) and `reason`, which the
// browser can show: a WebSocket client sees no HTTP status, only a close code and reason.
void refuse_subscription(logger log, std::string reason, boost::asio::ip::tcp::socket socket,
                         net::http_request req);

} // namespace eelchat::realtime
