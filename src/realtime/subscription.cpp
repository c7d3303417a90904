#include "realtime/subscription.hpp"

#include "db/channel_history.hpp"
#include "net/ws_session.hpp"
#include "realtime/frames.hpp"
#include "realtime/hub.hpp"
#include "realtime/subscribers.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>

namespace eelchat::realtime {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;

namespace {

constexpr int catch_up_batch = 200;
// A browser further behind than this reloads the page (which shows the newest 50) instead of replaying.
constexpr std::int64_t max_replay = 2000;
// Frames a socket may have waiting. They are pointers to buffers shared by every subscriber, so a deep
// queue is cheap; it absorbs bursts, and only a reader that really stopped reaches the end of it.
constexpr std::size_t max_queued_frames = 1024;
// Catch-up pauses while this many frames wait, so a replay never overflows the queue by itself.
constexpr std::size_t catch_up_high_water = 256;

// Registers with the hub, then replays from the database what the browser has not seen, then lets the
// live messages that queued up meanwhile through.
asio::awaitable<void> catch_up(worker_parts parts, std::shared_ptr<subscriber> sub,
                               std::optional<std::int64_t> cursor, std::string href) {
    auto last = co_await parts.hub.track(sub->channel_id());
    if (!last) {
        if (last.error() == db::sqlstate::foreign_key_violation) {
            // Deleted between the upgrade and now: the same notice as a deletion announced later.
            sub->ws().send(channel_gone_frame());
            sub->ws().close_after_queue(
                websocket::close_reason(websocket::close_code::normal, "channel deleted"));
        } else {
            sub->close(websocket::close_code::internal_error, "database unavailable; retrying");
        }
        co_return;
    }
    if (sub->gone()) {
        parts.hub.untrack(sub->channel_id());
        co_return;
    }
    sub->set_tracked();
    // Never trust the cursor beyond what exists: a cursor from the future would swallow new messages.
    std::int64_t from = cursor ? std::clamp<std::int64_t>(*cursor, 0, *last) : *last;
    sub->start_at(from);
    if (*last - from > max_replay) {
        sub->ws().send(reload_frame());
        sub->ws().close_after_queue(
            websocket::close_reason(websocket::close_code::normal, "reload to catch up"));
        co_return;
    }
    for (;;) {
        auto rows = co_await db::events_after(parts.db, sub->channel_id(), from, catch_up_batch);
        if (sub->gone()) co_return;
        if (!rows) {
            sub->close(websocket::close_code::internal_error, "database unavailable; retrying");
            co_return;
        }
        for (const auto& e : *rows)
            sub->send_caught_up(e.seq, event_frame(parts.tpl, e, href));
        if (!rows->empty()) from = rows->back().seq;
        if (rows->size() < static_cast<std::size_t>(catch_up_batch)) break;
        // Let the writer drain before the next page (bounded by the socket's own timeouts: a reader that
        // stops reading is closed, and then this loop ends).
        asio::steady_timer pause(co_await asio::this_coro::executor);
        while (sub->ws().queued() > catch_up_high_water && !sub->ws().closing()) {
            pause.expires_after(std::chrono::milliseconds(10));
            co_await pause.async_wait(asio::use_awaitable);
        }
        if (sub->ws().closing()) co_return;
    }
    sub->finish_catch_up();
}

} // namespace

void start_subscription(const worker_parts& parts, subscription_request request, asio::ip::tcp::socket socket,
                        net::http_request req) {
    // A modest kernel send buffer: a reader that stops reading backs up into the session's bounded queue
    // (and is cut off there) instead of parking megabytes in the kernel for every stalled browser.
    boost::system::error_code ignored;
    socket.set_option(asio::socket_base::send_buffer_size(64 * 1024), ignored);
    net::ws_options opts;
    opts.max_queued = max_queued_frames;
    opts.idle_timeout = request.idle_timeout;
    auto ws = net::ws_session::create(std::move(socket), opts, parts.log);
    auto sub =
        std::make_shared<subscriber>(ws, std::move(request.channel_id), std::move(request.session_hash),
                                     std::move(request.membership_id), 0);
    auto on_open = [parts, sub, cursor = request.cursor,
                    href = std::move(request.href)](const std::shared_ptr<net::ws_session>&) {
        parts.subscribers.add(sub);
        asio::co_spawn(sub->ws().get_executor(), catch_up(parts, sub, cursor, href),
                       log_exceptions{parts.log, "catch_up_failed"});
    };
    // The session holds this handler and the subscriber holds the session: the cycle ends when it runs.
    auto on_end = [parts, sub, hold = std::move(request.hold)] {
        sub->mark_gone();
        parts.subscribers.remove(sub);
        if (sub->tracked()) parts.hub.untrack(sub->channel_id());
    };
    ws->start(std::move(req), std::move(on_open), std::move(on_end));
}

void refuse_subscription(logger log, std::string reason, asio::ip::tcp::socket socket,
                         net::http_request req) {
    auto ws = net::ws_session::create(std::move(socket), net::ws_options{}, log);
    auto on_open = [reason = std::move(reason)](const std::shared_ptr<net::ws_session>& s) {
        s->close_now(websocket::close_reason(websocket::close_code::policy_error, reason));
    };
    ws->start(std::move(req), std::move(on_open), [] {});
}

} // namespace eelchat::realtime
