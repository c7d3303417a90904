#include "app/app.hpp"

#include "db/auth_store.hpp"
#include "mail/smtp_mailer.hpp"
#include "routes/forms.hpp"
#include "routes/guards.hpp"
#include "routes/responses.hpp"
#include "routes/routes.hpp"
#include "routes/session.hpp"

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

// Browsers may run only our own scripts and styles: user text can never become code, and the htmx
// configuration in the layout forbids eval.
constexpr std::string_view content_security_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'";

} // namespace

std::shared_ptr<realtime_hub> start_realtime_hub(const config& cfg, logger log) {
    return std::make_shared<realtime_hub>(database_pool(cfg, "eelchat-hub", 2), std::move(log));
}

std::shared_ptr<feed_poller> start_feed_poller(const config& cfg, logger log, feed_poller_options opts) {
    opts.allow_private = cfg.feeds_allow_private;
    opts.user_agent = "eelchat (" + cfg.base_url + ")";
    return std::make_shared<feed_poller>(database_pool(cfg, "eelchat-feeds", 2), std::move(log),
                                         std::move(opts));
}

app::app(asio::io_context& ctx, std::shared_ptr<const shared_state> shared)
    : shared_(std::move(shared)),
      pool_(ctx.get_executor(), database_pool(shared_->cfg, "eelchat", shared_->cfg.db_pool_size),
            shared_->log),
      messages_(pool_, shared_->log),
      mailer_(shared_->make_mailer ? shared_->make_mailer(ctx) : mailer_for(ctx, shared_->cfg, shared_->log)),
      pages_(templates_, *shared_->assets),
      subscribers_(shared_->log), settings_{shared_->cfg.base_url, shared_->cfg.trust_proxy,
                                            shared_->cfg.feeds_allow_private},
      services_{settings_,        shared_->log, pool_,         messages_,    pages_,
                *shared_->assets, *mailer_,     *shared_->hub, subscribers_, shared_->feeds.get()},
      housekeeping_timer_(ctx) {
    routes::add_health_routes(router_);
    routes::add_auth_routes(router_);
    routes::add_chat_routes(router_);
    routes::add_realtime_routes(router_);
    shared_->hub->attach(ctx.get_executor(), &subscribers_);
    asio::co_spawn(ctx, housekeeping(), log_exceptions{shared_->log, "housekeeping_crashed"});
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
    }
}

asio::awaitable<std::optional<net::http_response>> app::check_change(routes::request_context& ctx) {
    std::string_view type = ctx.req[http::field::content_type];
    const bool form_body = type.empty() || type.starts_with("application/x-www-form-urlencoded");
    if (!form_body) co_return routes::error_page(pages_, http::status::unsupported_media_type);
    auto form = routes::form_data::parse(ctx.req.body());
    if (!form) co_return routes::error_page(pages_, http::status::bad_request);
    ctx.form = std::make_shared<const routes::form_data>(std::move(*form));
    auto session = co_await routes::load_session(ctx);
    if (!session) co_return routes::database_failure(ctx, session.error());
    if (!routes::csrf_token_matches(ctx)) {
        shared_->log.info("csrf_rejected", {{"id", ctx.info.id}, {"has_session", *session != nullptr}});
        co_return routes::error_page(pages_, http::status::forbidden);
    }
    co_return std::nullopt;
}

asio::awaitable<net::http_response> app::handle(net::http_request& req, const net::request_info& info) {
    routes::request_context ctx{req, info, {}, services_};
    co_return co_await dispatch(ctx);
}

asio::awaitable<std::variant<net::http_response, net::websocket_runner>>
app::handle_upgrade(net::http_request& req, const net::request_info& info) {
    routes::request_context ctx{req, info, {}, services_};
    auto res = co_await dispatch(ctx);
    if (ctx.websocket && res.result() == http::status::switching_protocols)
        co_return std::move(ctx.websocket);
    // No redirects for a WebSocket: whoever may not connect is refused.
    if (res.result_int() >= 300 && res.result_int() < 400)
        res = routes::error_page(pages_, http::status::forbidden);
    co_return res;
}

asio::awaitable<net::http_response> app::dispatch(routes::request_context& ctx) {
    auto& req = ctx.req;
    std::string_view target = req.target();
    auto q = target.find('?');
    std::string_view path = target.substr(0, q);
    std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);

    auto m = router_.match(req.method(), path);
    ctx.params = std::move(m.params);
    net::http_response res;
    switch (m.result) {
    case routes::router::outcome::found:
        if (req.method() != http::verb::get && req.method() != http::verb::head) {
            // Every state change carries the session's CSRF token, checked here once for all routes.
            if (auto refusal = co_await check_change(ctx)) {
                res = std::move(*refusal);
                break;
            }
        }
        res = co_await (*m.target)(ctx);
        break;
    case routes::router::outcome::method_not_allowed:
        res = routes::error_page(pages_, http::status::method_not_allowed);
        res.set(http::field::allow, m.allow);
        break;
    case routes::router::outcome::not_found:
        if (req.method() == http::verb::get || req.method() == http::verb::head) {
            if (auto asset = routes::serve_asset(ctx, path, query)) {
                res = std::move(*asset);
                break;
            }
        }
        res = routes::error_page(pages_, http::status::not_found);
        break;
    }
    for (auto& cookie : ctx.set_cookies)
        res.insert(http::field::set_cookie, cookie);
    routes::add_security_headers(res);
    res.set("Content-Security-Policy", content_security_policy);
    co_return res;
}

net::http_response app::error_response(http::status status, unsigned version) {
    auto res = routes::error_page(pages_, status);
    res.version(version);
    routes::add_security_headers(res);
    return res;
}

void app::shutdown() {
    stopping_ = true;
    // Browsers reconnect after 1012 (to another instance behind the load balancer, or to this one after
    // its restart) and catch up from their last message.
    subscribers_.close_all_for_restart();
    shared_->hub->detach(&subscribers_);
    housekeeping_timer_.cancel();
    pool_.close();
}

} // namespace eelchat
