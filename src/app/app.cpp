#include "app/app.hpp"

#include "db/attachment_store.hpp"
#include "db/auth_store.hpp"
#include "db/oidc_store.hpp"
#include "db/push_store.hpp"
#include "mail/smtp_mailer.hpp"
#include "mail/unread_digest.hpp"
#include "routes/dispatch.hpp"
#include "routes/responses.hpp"
#include "routes/routes.hpp"
#include "uploads/garbage.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace eelchat {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

std::unique_ptr<mail::mailer> mailer_for(asio::io_context& ctx, const config& cfg, const logger& log) {
    if (!cfg.smtp) return mail::make_console_mailer(log);
    mail::smtp_config sc;
    sc.host = cfg.smtp->host;
    sc.port = cfg.smtp->port;
    sc.user = cfg.smtp->user;
    sc.password = cfg.smtp->password;
    sc.from = cfg.smtp->from;
    sc.ca_file = cfg.smtp->ca_file;
    sc.require_tls = cfg.smtp->require_tls;
    return mail::make_smtp_mailer(ctx.get_executor(), sc, log);
}

} // namespace

std::shared_ptr<realtime::hub> start_realtime_hub(const config& cfg, logger log) {
    return std::make_shared<realtime::hub>(database_pool(cfg, "eelchat-hub", 2), std::move(log));
}

std::shared_ptr<sso::client> make_sso_client(const config& cfg, logger log) {
    if (!cfg.oidc) return nullptr;
    sso::client_config c;
    c.issuer = cfg.oidc->issuer;
    c.credentials.client_id = cfg.oidc->client_id;
    c.credentials.client_secret = cfg.oidc->client_secret;
    c.credentials.redirect_uri = cfg.base_url + "/auth/oidc/callback";
    return std::make_shared<sso::client>(std::move(c), std::move(log));
}

std::shared_ptr<push::sender> start_push_sender(const config& cfg, logger log, realtime::hub& hub) {
    push::sender_options opts;
    opts.allow_private = cfg.push_allow_private;
    opts.subject = cfg.push_subject;
    opts.email_after = cfg.notify_email_after.count() > 0;
    auto sender = std::make_shared<push::sender>(database_pool(cfg, "eelchat-push", 2), std::move(log), opts);
    hub.on_notifications_queued([weak = std::weak_ptr<push::sender>(sender)] {
        if (auto s = weak.lock()) s->wake();
    });
    return sender;
}

std::shared_ptr<feeds::poller> start_feed_poller(const config& cfg, logger log, feeds::poller_options opts) {
    opts.allow_private = cfg.feeds_allow_private;
    opts.user_agent = "eelchat (" + cfg.base_url + ")";
    return std::make_shared<feeds::poller>(database_pool(cfg, "eelchat-feeds", 2), std::move(log),
                                           std::move(opts));
}

app::app(asio::io_context& ctx, std::shared_ptr<const shared_state> shared)
    : shared_(std::move(shared)),
      pool_(ctx.get_executor(), database_pool(shared_->cfg, "eelchat", shared_->cfg.db_pool_size),
            shared_->log),
      messages_(pool_, shared_->log),
      mailer_(shared_->make_mailer ? shared_->make_mailer(ctx) : mailer_for(ctx, shared_->cfg, shared_->log)),
      pages_(templates_, *shared_->assets),
      subscribers_(shared_->log), settings_{shared_->cfg.base_url,
                                            shared_->cfg.trust_proxy,
                                            shared_->cfg.feeds_allow_private,
                                            shared_->cfg.email_signin,
                                            shared_->cfg.oidc ? shared_->cfg.oidc->name : std::string(),
                                            shared_->cfg.push_allow_private},
      services_{settings_,
                shared_->log,
                pool_,
                messages_,
                pages_,
                *shared_->assets,
                *mailer_,
                *shared_->hub,
                subscribers_,
                shared_->feeds.get(),
                *shared_->limits,
                shared_->sso.get(),
                {},
                shared_->draining.get()},
      housekeeping_timer_(ctx), digest_timer_(ctx) {
    files_ = uploads::make_storage(shared_->cfg.uploads_dir, pool_, shared_->work);
    services_.files = files_.get();
    services_.work = shared_->work.get();
    routes::add_health_routes(router_);
    routes::add_auth_routes(router_);
    routes::add_sso_routes(router_);
    // Fixed paths first: the router takes the first match, and "/community/new" also fits "/community/:id".
    routes::add_community_routes(router_);
    routes::add_channel_routes(router_);
    routes::add_message_routes(router_);
    routes::add_chat_routes(router_);
    routes::add_realtime_routes(router_);
    routes::add_attention_routes(router_);
    routes::add_push_routes(router_);
    routes::add_search_routes(router_);
    routes::add_upload_routes(router_);
    shared_->hub->attach(ctx.get_executor(), &subscribers_);
    asio::co_spawn(ctx, housekeeping(), log_exceptions{shared_->log, "housekeeping_crashed"});
    if (shared_->cfg.notify_email_after.count() > 0)
        asio::co_spawn(ctx, unread_digests(), log_exceptions{shared_->log, "digests_crashed"});
}

asio::awaitable<void> app::unread_digests() {
    mail::digest_options opts;
    opts.after = shared_->cfg.notify_email_after;
    opts.base_url = shared_->cfg.base_url;
    while (!stopping_) {
        digest_timer_.expires_after(std::chrono::minutes(1));
        boost::system::error_code ec;
        co_await digest_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (stopping_) break;
        co_await mail::send_due_digests(pool_, *mailer_, opts, shared_->log);
    }
}

asio::awaitable<void> app::tidy_uploads() {
    // Uploads never posted, then the bytes nothing refers to any more, then writes abandoned midway.
    auto stale = co_await db::delete_stale_uploads(pool_, uploads::incomplete_blob_lifetime);
    if (!stale) shared_->log.warn("housekeeping_failed", {{"error", stale.error().message()}});
    for (;;) {
        auto removed = co_await uploads::collect_garbage(pool_, *files_);
        if (!removed) {
            shared_->log.warn("housekeeping_failed", {{"error", removed.error().message()}});
            break;
        }
        if (*removed > 0) shared_->log.info("files_removed", {{"files", *removed}});
        if (*removed < 200 || stopping_) break;
    }
    auto abandoned = co_await files_->remove_incomplete(uploads::incomplete_blob_lifetime);
    if (!abandoned) shared_->log.warn("housekeeping_failed", {{"error", abandoned.error().message()}});
}

asio::awaitable<void> app::housekeeping() {
    while (!stopping_) {
        housekeeping_timer_.expires_after(std::chrono::hours(1));
        boost::system::error_code ec;
        co_await housekeeping_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (stopping_) break;
        auto removed = co_await db::delete_expired_auth_rows(pool_);
        if (removed) {
            if (*removed > 0) shared_->log.info("expired_rows_deleted", {{"rows", *removed}});
        } else {
            shared_->log.warn("housekeeping_failed", {{"error", removed.error().message()}});
        }
        auto stale = co_await db::delete_stale_oidc_logins(pool_);
        if (!stale) shared_->log.warn("housekeeping_failed", {{"error", stale.error().message()}});
        co_await tidy_uploads();
        auto old = co_await db::prune_notifications(pool_);
        if (!old)
            shared_->log.warn("housekeeping_failed", {{"error", old.error().message()}});
        else if (*old > 0)
            shared_->log.info("notifications_pruned", {{"rows", *old}});
    }
}

asio::awaitable<net::http_response> app::handle(net::http_request& req, net::request_info& info) {
    routes::request_context ctx{req, info, {}, services_};
    auto res = co_await routes::dispatch(router_, ctx);
    info.route = ctx.route;
    co_return res;
}

bool app::streams_body(const net::http_request_header& header) {
    // Only uploads stream, and they are posts: other requests skip the extra match.
    if (header.method() != http::verb::post && header.method() != http::verb::put) return false;
    std::string_view target = header.target();
    return router_.match(header.method(), target.substr(0, target.find('?'))).body ==
           routes::body_mode::streamed;
}

asio::awaitable<std::variant<net::http_response, net::websocket_runner>>
app::handle_upgrade(net::http_request& req, net::request_info& info) {
    routes::request_context ctx{req, info, {}, services_};
    auto res = co_await routes::dispatch(router_, ctx);
    info.route = ctx.route;
    if (ctx.websocket && res.result() == http::status::switching_protocols)
        co_return std::move(ctx.websocket);
    // No redirects for a WebSocket: whoever may not connect is refused.
    if (res.result_int() >= 300 && res.result_int() < 400)
        res = routes::error_page(pages_, http::status::forbidden);
    co_return res;
}

net::http_response app::error_response(http::status status, unsigned version) {
    return routes::error_answer(pages_, status, version);
}

void app::shutdown() {
    stopping_ = true;
    // Browsers reconnect after 1012 (to another instance behind the load balancer, or to this one after
    // its restart) and catch up from their last message.
    subscribers_.close_all_for_restart();
    shared_->hub->detach(&subscribers_);
    housekeeping_timer_.cancel();
    digest_timer_.cancel();
    pool_.close();
}

} // namespace eelchat
