// Notifications a person asks for:
//   GET    /push/vapid-public-key    the installation's VAPID public key, base64url text of the raw point,
//                                    for PushManager.subscribe's applicationServerKey
//   POST   /push/subscriptions       the page's PushSubscription.toJSON(), as JSON (X-CSRF-Token header)
//   DELETE /push/subscriptions       {"endpoint": "..."}: notifications off in that browser
//   POST   /community/:id/channel/:cid/notifications   level=all|mentions|none|default for that channel
#include "db/push_store.hpp"
#include "limits/guards.hpp"
#include "push/subscription.hpp"
#include "routes/guards.hpp"
#include "routes/posting.hpp"
#include "routes/responses.hpp"
#include "routes/routes.hpp"
#include "routes/shell.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace eelchat::routes {

namespace asio = boost::asio;

namespace {

net::http_response plain(http::status status, std::string sentence) {
    auto res = text_response(status, std::move(sentence));
    res.set(http::field::cache_control, "no-store");
    return res;
}

bool known_level(std::string_view level) {
    return level == "all" || level == "mentions" || level == "none" || level == "default";
}

} // namespace

void add_push_routes(router& r) {
    r.add(http::verb::get, "/push/vapid-public-key",
          [](request_context& ctx) -> asio::awaitable<net::http_response> {
              auto key = co_await db::vapid_public_key(ctx.svc.db);
              if (!key) co_return database_failure(ctx, key.error());
              if (!*key) co_return plain(http::status::service_unavailable, "Notifications are starting up.");
              auto res = text_response(http::status::ok, std::move(**key));
              res.set(http::field::cache_control, "no-cache");
              co_return res;
          });

    r.add(http::verb::post, "/push/subscriptions",
          with_user([](request_context& ctx, signed_in_user& user) -> asio::awaitable<net::http_response> {
              // Each costs a DNS lookup and a row: it counts against the posting rate like a message.
              if (auto refusal = take_change_allowance(ctx, user)) {
                  auto res = plain(http::status::too_many_requests, refusal->text);
                  res.set(http::field::retry_after, refusal->retry_after);
                  co_return res;
              }
              const bool allow_private = ctx.svc.cfg.push_allow_private;
              auto sub = push::parse_subscription(ctx.req.body(), allow_private);
              if (!sub) co_return plain(http::status::unprocessable_entity, sub.error());
              auto ex = co_await asio::this_coro::executor;
              auto problem = co_await push::endpoint_problem(ex, sub->where, allow_private);
              if (problem) co_return plain(http::status::unprocessable_entity, *problem);
              db::push_subscription_row row;
              row.endpoint = sub->endpoint;
              row.p256dh = sub->p256dh;
              row.auth = sub->auth;
              const int max = static_cast<int>(ctx.svc.limits.cfg.push_subscriptions_per_user);
              auto saved = co_await db::save_push_subscription(ctx.svc.db, user.id, std::move(row), max);
              if (!saved) co_return database_failure(ctx, saved.error());
              ctx.svc.log.info("push_subscribed",
                               {{"id", ctx.info.id}, {"user", user.id}, {"host", sub->where.host}});
              co_return plain(http::status::created, "Notifications are on in this browser.");
          }));

    r.add(http::verb::delete_, "/push/subscriptions",
          with_user([](request_context& ctx, signed_in_user& user) -> asio::awaitable<net::http_response> {
              boost::system::error_code ec;
              auto doc = boost::json::parse(ctx.req.body(), ec);
              const auto* o = ec ? nullptr : doc.if_object();
              const auto* endpoint = o ? o->if_contains("endpoint") : nullptr;
              if (!endpoint || !endpoint->is_string())
                  co_return plain(http::status::unprocessable_entity,
                                  "Which subscription? No endpoint was sent.");
              std::string which(endpoint->get_string());
              auto gone = co_await db::delete_push_subscription(ctx.svc.db, user.id, std::move(which));
              if (!gone) co_return database_failure(ctx, gone.error());
              co_return net::http_response{http::status::no_content, 11};
          }));

    r.add(http::verb::post, "/community/:id/channel/:cid/notifications",
          with_channel([](request_context& ctx, signed_in_user&, community_access& access,
                          db::channel_row& channel) -> asio::awaitable<net::http_response> {
              const std::string level = field(ctx, "level");
              if (!known_level(level))
                  co_return plain(http::status::unprocessable_entity,
                                  "Choose all messages, mentions only, nothing, or the default.");
              // Named, not a temporary in the co_await (g++ 12 frees such a temporary twice).
              std::string stored = level == "default" ? std::string() : level;
              auto set = co_await db::set_notify_level(ctx.svc.db, channel.id, access.membership->id,
                                                       std::move(stored));
              if (!set) co_return database_failure(ctx, set.error());
              if (is_htmx(ctx)) co_return net::http_response{http::status::no_content, 11};
              co_return redirect_response(channel_url(access.community.id, channel.id));
          }));
}

} // namespace eelchat::routes
