// The wiring of one worker thread: it owns that thread's database pool, message batcher, mailer,
// templates, WebSocket subscribers and router, hands each request to the routes (checking CSRF first),
// and adds the headers every answer carries. Created by the server's handler factory on the worker's own
// thread. No feature logic lives here: it is in the feature folders and src/routes.
#pragma once

#include "app/config.hpp"
#include "core/log.hpp"
#include "db/message_batcher.hpp"
#include "db/pool.hpp"
#include "feeds/poller.hpp"
#include "limits/guards.hpp"
#include "mail/mailer.hpp"
#include "net/http.hpp"
#include "push/sender.hpp"
#include "realtime/hub.hpp"
#include "realtime/subscribers.hpp"
#include "render/assets.hpp"
#include "render/page.hpp"
#include "render/templates.hpp"
#include "routes/context.hpp"
#include "routes/router.hpp"
#include "sso/client.hpp"
#include "uploads/storage.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>

namespace eelchat {

// What all workers share, read-only.
struct shared_state {
    config cfg;
    logger log;
    std::shared_ptr<const render::asset_store> assets;
    // Makes a worker's mailer; empty: from the configuration (SMTP, or the console). Tests record mail.
    std::function<std::unique_ptr<mail::mailer>(boost::asio::io_context&)> make_mailer = {};
    // The process's realtime hub (LISTEN connection and fan-out); required.
    std::shared_ptr<realtime::hub> hub = {};
    // The process's feed poller; may be empty (then a new subscription waits for another instance's poll).
    std::shared_ptr<feeds::poller> feeds = {};
    // The process's Web Push sender; may be empty (then another instance sends the queued notifications).
    std::shared_ptr<push::sender> push = {};
    // The single sign-on client (provider metadata and keys, cached for the process); empty without
    // OIDC_ISSUER.
    std::shared_ptr<sso::client> sso = {};
    // The limits' counters, for every worker of the process.
    std::shared_ptr<limits::guards> limits = std::make_shared<limits::guards>(cfg.limits);
    // Set by the main thread on SIGTERM (see routes/health.cpp).
    std::shared_ptr<std::atomic<bool>> draining = std::make_shared<std::atomic<bool>>(false);
    // Threads for blocking work of every worker: the directory storage's file I/O, sniffing uploads,
    // making thumbnails.
    std::shared_ptr<boost::asio::thread_pool> work = uploads::make_file_threads();
};

class app final : public net::http_handler {
public:
    app(boost::asio::io_context& ctx, std::shared_ptr<const shared_state> shared);

    boost::asio::awaitable<net::http_response> handle(net::http_request& req,
                                                      net::request_info& info) override;
    boost::asio::awaitable<std::variant<net::http_response, net::websocket_runner>>
    handle_upgrade(net::http_request& req, net::request_info& info) override;
    bool streams_body(const net::http_request_header& header) override;
    net::http_response error_response(net::http::status status, unsigned version) override;
    void shutdown() override;

private:
    // Hourly: deletes expired sessions, sign-in links and codes, stale single sign-ons, and old
    // rate-limit windows.
    boost::asio::awaitable<void> housekeeping();
    // Part of housekeeping: pending uploads given up, files of deleted messages, abandoned writes.
    boost::asio::awaitable<void> tidy_uploads();
    // NOTIFY_EMAIL_AFTER_MIN: every minute, emails people their notifications still unread.
    boost::asio::awaitable<void> unread_digests();

    std::shared_ptr<const shared_state> shared_;
    db::pool pool_;
    std::unique_ptr<uploads::storage> files_;
    db::message_batcher messages_;
    std::unique_ptr<mail::mailer> mailer_;
    render::templates templates_;
    render::page_renderer pages_;
    realtime::subscriber_registry subscribers_;
    routes::settings settings_;
    routes::services services_;
    routes::router router_;
    boost::asio::steady_timer housekeeping_timer_;
    boost::asio::steady_timer digest_timer_;
    bool stopping_ = false;
};

// The process-wide parts, each on a thread of its own, connected as the configuration says.
std::shared_ptr<realtime::hub> start_realtime_hub(const config& cfg, logger log);
// The single sign-on client of the configuration's provider; empty when OIDC_ISSUER is not set.
std::shared_ptr<sso::client> make_sso_client(const config& cfg, logger log);
// `opts` gives the timing; what the configuration says (FEEDS_ALLOW_PRIVATE, BASE_URL in the user agent)
// is filled in.
// Starts the process's Web Push sender (PUSH_ALLOW_PRIVATE, PUSH_SUBJECT, NOTIFY_EMAIL_AFTER_MIN) and has
// `hub` wake it whenever notifications are queued.
std::shared_ptr<push::sender> start_push_sender(const config& cfg, logger log, realtime::hub& hub);
std::shared_ptr<feeds::poller> start_feed_poller(const config& cfg, logger log,
                                                 feeds::poller_options opts = {});

} // namespace eelchat
