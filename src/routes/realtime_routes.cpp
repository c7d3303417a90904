// GET /community/:id/channel/:cid/connect: a member's WebSocket for one channel. The browser's cursor
// (?after=N, the newest message it shows) says where delivery starts; what it missed while disconnected
// is read from the database, then live messages follow, each exactly once and in order.
#include "app/realtime.hpp"
#include "app/subscribers.hpp"
#include "db/chat_store.hpp"
#include "db/params.hpp"
#include "render/messages.hpp"
#include "render/page.hpp"
#include "routes/forms.hpp"
#include "routes/guards.hpp"
#include "routes/responses.hpp"
#include "routes/routes.hpp"
#include "routes/session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace eelchat::routes {

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

// "https://chat.example.org" for "https://chat.example.org/some/path".
std::string_view origin_of(std::string_view base_url) {
    auto scheme = base_url.find("://");
    if (scheme == std::string_view::npos) return base_url;
    auto path = base_url.find('/', scheme + 3);
    return base_url.substr(0, path);
}

// What the upgrade request asked for, until the socket starts.
struct subscription {
    std::string channel_id;
    std::string session_hash;
    std::string membership_id;
    std::optional<std::int64_t> cursor;
};

net::ws_frame reload_frame() {
    static const auto frame = net::make_text_frame("<div id=\"messages\" hx-swap-oob=\"beforeend\"><div "
                                                   "_=\"init call window.location.reload()\"></div></div>");
    return frame;
}

// Registers with the hub, then replays from the database what the browser has not seen, then lets the
// live messages that queued up meanwhile through.
asio::awaitable<void> catch_up(services& svc, std::shared_ptr<subscriber> sub,
                               std::optional<std::int64_t> cursor) {
    auto last = co_await svc.hub.track(sub->channel_id());
    if (!last) {
        if (last.error() == db::sqlstate::foreign_key_violation) {
            // Deleted between the upgrade and now: the same notice as a deletion announced later.
            sub->ws().send(render::channel_gone_frame());
            sub->ws().close_after_queue(
                websocket::close_reason(websocket::close_code::normal, "channel deleted"));
        } else {
            sub->close(websocket::close_code::internal_error, "database unavailable; retrying");
        }
        co_return;
    }
    if (sub->gone()) {
        svc.hub.untrack(sub->channel_id());
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
    auto& tpl = svc.pages.tpl();
    for (;;) {
        auto rows = co_await db::messages_after(svc.db, sub->channel_id(), from, catch_up_batch);
        if (sub->gone()) co_return;
        if (!rows) {
            sub->close(websocket::close_code::internal_error, "database unavailable; retrying");
            co_return;
        }
        for (const auto& m : *rows)
            sub->send_caught_up(m.seq, render::message_frame(tpl, m));
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

// Starts the socket's session; everything after runs on its callbacks, so an idle subscriber keeps no
// coroutine frame alive: just the session and the subscriber, which holds the ids once.
void start_subscription(services& svc, subscription request, asio::ip::tcp::socket socket,
                        net::http_request req) {
    // A modest kernel send buffer: a reader that stops reading backs up into the session's bounded queue
    // (and is cut off there) instead of parking megabytes in the kernel for every stalled browser.
    boost::system::error_code ignored;
    socket.set_option(asio::socket_base::send_buffer_size(64 * 1024), ignored);
    net::ws_options opts;
    opts.max_queued = max_queued_frames;
    auto ws = net::ws_session::create(std::move(socket), opts, svc.log);
    auto sub =
        std::make_shared<subscriber>(ws, std::move(request.channel_id), std::move(request.session_hash),
                                     std::move(request.membership_id), 0);
    auto on_open = [&svc, sub, cursor = request.cursor](const std::shared_ptr<net::ws_session>&) {
        svc.subscribers.add(sub);
        asio::co_spawn(sub->ws().get_executor(), catch_up(svc, sub, cursor),
                       log_exceptions{svc.log, "catch_up_failed"});
    };
    // The session holds this handler and the subscriber holds the session: the cycle ends when it runs.
    auto on_end = [&svc, sub] {
        sub->mark_gone();
        svc.subscribers.remove(sub);
        if (sub->tracked()) svc.hub.untrack(sub->channel_id());
    };
    ws->start(std::move(req), std::move(on_open), std::move(on_end));
}

} // namespace

void add_realtime_routes(router& r) {
    r.add(http::verb::get, "/community/:id/channel/:cid/connect",
          with_channel([](request_context& ctx, signed_in_user&, community_access& access,
                          db::channel_row& channel) -> asio::awaitable<net::http_response> {
              if (!websocket::is_upgrade(ctx.req))
                  co_return text_response(http::status::bad_request,
                                          "This address is for WebSocket connections.\n");
              // Browsers always send Origin on a WebSocket handshake; another site's page must not ride on
              // this user's cookie.
              if (ctx.req[http::field::origin] != origin_of(ctx.svc.cfg.base_url)) {
                  ctx.svc.log.info(
                      "websocket_origin_refused",
                      {{"id", ctx.info.id}, {"origin", std::string_view(ctx.req[http::field::origin])}});
                  co_return forbidden(ctx);
              }
              auto state = std::make_shared<subscription>();
              state->channel_id = channel.id;
              state->session_hash = ctx.session->token_hash;
              state->membership_id = access.membership->id;
              std::string_view target = ctx.req.target();
              if (auto q = target.find('?'); q != std::string_view::npos) {
                  if (auto query = form_data::parse(target.substr(q + 1)))
                      if (auto after = query->get("after")) state->cursor = db::to_int(*after);
              }
              services* svc = &ctx.svc;
              ctx.websocket = [svc, state](asio::ip::tcp::socket socket, net::http_request req) {
                  start_subscription(*svc, std::move(*state), std::move(socket), std::move(req));
              };
              co_return text_response(http::status::switching_protocols, "");
          }));
}

} // namespace eelchat::routes
