// GET /community/:id/channel/:cid/connect: a member's WebSocket for one channel. The route checks who may
// connect (a member who may read the channel, from our own origin) and reads the browser's cursor
// (?after=N, the newest message it shows); realtime/subscription.hpp does the rest.
#include "db/params.hpp"
#include "limits/guards.hpp"
#include "realtime/stream_session.hpp"
#include "realtime/subscription.hpp"
#include "render/page.hpp"
#include "routes/forms.hpp"
#include "routes/guards.hpp"
#include "routes/responses.hpp"
#include "routes/routes.hpp"
#include "routes/session.hpp"
#include "routes/shell.hpp"

#include <boost/beast/websocket/rfc6455.hpp>

namespace eelchat::routes {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;

namespace {

// Places for one more socket of this user and of this client address, or the reason there is none.
struct socket_places {
    std::shared_ptr<void> hold; // both tickets, released together
    std::string refusal;
};

socket_places take_socket_places(request_context& ctx, const signed_in_user& user) {
    auto& l = ctx.svc.limits;
    auto by_user = l.sockets->acquire("user:" + user.id, l.cfg.ws_per_user);
    if (!by_user) return {nullptr, "too many open connections for this account; close other tabs"};
    auto by_address = l.sockets->acquire("address:" + client_bucket(ctx), l.cfg.ws_per_address);
    if (!by_address) return {nullptr, "too many open connections from your network"};
    if (l.cfg.ws_per_address == 0) return {std::move(by_user), {}}; // the other ticket counts nothing
    if (l.cfg.ws_per_user == 0) return {std::move(by_address), {}};
    auto both = std::make_shared<std::pair<std::shared_ptr<void>, std::shared_ptr<void>>>(
        std::move(by_user), std::move(by_address));
    return {std::move(both), {}};
}

// "https://chat.example.org" for "https://chat.example.org/some/path".
std::string_view origin_of(std::string_view base_url) {
    auto scheme = base_url.find("://");
    if (scheme == std::string_view::npos) return base_url;
    auto path = base_url.find('/', scheme + 3);
    return base_url.substr(0, path);
}

// The display name pages show for a member without one ("User 1a2b").
std::string shown_name(const signed_in_user& user, const std::string& membership_id) {
    if (user.display_name) return *user.display_name;
    return "User " + membership_id.substr(0, 4);
}

// The checks every WebSocket upgrade shares: an upgrade, from our own origin. A refusal, or nullopt.
std::optional<net::http_response> refuse_upgrade(request_context& ctx) {
    if (!websocket::is_upgrade(ctx.req))
        return text_response(http::status::bad_request, "This address is for WebSocket connections.\n");
    // Browsers always send Origin on a WebSocket handshake; another site's page must not ride on this
    // user's cookie.
    if (ctx.req[http::field::origin] != origin_of(ctx.svc.cfg.base_url)) {
        ctx.svc.log.info("websocket_origin_refused",
                         {{"id", ctx.info.id}, {"origin", std::string_view(ctx.req[http::field::origin])}});
        return forbidden(ctx);
    }
    return std::nullopt;
}

// Over a cap: the socket is accepted only to be closed with the reason.
net::http_response refuse_over_cap(request_context& ctx, const signed_in_user& user, std::string why) {
    ctx.svc.log.info("websocket_cap_reached", {{"id", ctx.info.id}, {"user", user.id}, {"why", why}});
    ctx.websocket = [log = ctx.svc.log, why = std::move(why)](asio::ip::tcp::socket socket, net::http_request req) {
        realtime::refuse_subscription(log, why, std::move(socket), std::move(req));
    };
    return text_response(http::status::switching_protocols, "");
}

} // namespace

void add_realtime_routes(router& r) {
    // A page's attention stream (realtime/stream_session.hpp): any page of the community, for a member.
    r.add(http::verb::get, "/community/:id/stream",
          with_community([](request_context& ctx, signed_in_user& user,
                            community_access& access) -> asio::awaitable<net::http_response> {
              if (auto refusal = refuse_upgrade(ctx)) co_return std::move(*refusal);
              if (!access.membership) co_return forbidden(ctx);
              auto places = take_socket_places(ctx, user);
              if (!places.hold) co_return refuse_over_cap(ctx, user, std::move(places.refusal));
              auto start = std::make_shared<realtime::stream_start>();
              start->hold = std::move(places.hold);
              start->idle_timeout = ctx.svc.limits.cfg.ws_idle_timeout;
              start->visible = query_value(ctx, "visible") == "1";
              start->who = {access.community.id, access.membership->id, user.id, ctx.session->token_hash,
                            shown_name(user, access.membership->id)};
              realtime::worker_parts parts{ctx.svc.hub, ctx.svc.subscribers, ctx.svc.db, ctx.svc.pages.tpl(),
                                           ctx.svc.log};
              ctx.websocket = [parts, start](asio::ip::tcp::socket socket, net::http_request req) {
                  realtime::start_stream(parts, std::move(*start), std::move(socket), std::move(req));
              };
              co_return text_response(http::status::switching_protocols, "");
          }));

    r.add(http::verb::get, "/community/:id/channel/:cid/connect",
          with_channel([](request_context& ctx, signed_in_user& user, community_access& access,
                          db::channel_row& channel) -> asio::awaitable<net::http_response> {
              if (auto refusal = refuse_upgrade(ctx)) co_return std::move(*refusal);
              auto places = take_socket_places(ctx, user);
              if (!places.hold) co_return refuse_over_cap(ctx, user, std::move(places.refusal));
              auto state = std::make_shared<realtime::subscription_request>();
              state->hold = std::move(places.hold);
              state->idle_timeout = ctx.svc.limits.cfg.ws_idle_timeout;
              state->channel_id = channel.id;
              state->href = channel_url(access.community.id, channel.id);
              state->session_hash = ctx.session->token_hash;
              state->membership_id = access.membership->id;
              std::string_view target = ctx.req.target();
              if (auto q = target.find('?'); q != std::string_view::npos) {
                  if (auto query = form_data::parse(target.substr(q + 1)))
                      if (auto after = query->get("after")) state->cursor = db::to_int(*after);
              }
              realtime::worker_parts parts{ctx.svc.hub, ctx.svc.subscribers, ctx.svc.db, ctx.svc.pages.tpl(),
                                           ctx.svc.log};
              ctx.websocket = [parts, state](asio::ip::tcp::socket socket, net::http_request req) {
                  realtime::start_subscription(parts, std::move(*state), std::move(socket), std::move(req));
              };
              co_return text_response(http::status::switching_protocols, "");
          }));
}

} // namespace eelchat::routes
