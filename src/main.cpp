// eelchat: configuration from the environment, migrations, then the server until SIGINT/SIGTERM.
#include "app/app.hpp"
#include "app/config.hpp"
#include "core/embedded.hpp"
#include "core/log.hpp"
#include "db/connection.hpp"
#include "db/migrations.hpp"
#include "net/server.hpp"
#include "render/assets.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <sys/resource.h>

namespace asio = boost::asio;
using namespace eelchat;

namespace {

// Applies the embedded migrations, retrying the connection for a while so that eelchat may start
// alongside its database (a container, a service manager). Returns false after logging why it gave up.
asio::awaitable<bool> migrate(const config& cfg, logger log) {
    auto migrations = db::parse_migrations(embedded::migrations());
    if (!migrations) {
        log.error("bad_migrations", {{"error", migrations.error().message()}});
        co_return false;
    }
    asio::steady_timer wait(co_await asio::this_coro::executor);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    auto backoff = std::chrono::milliseconds(250);
    for (int attempt = 1;; ++attempt) {
        auto conn =
            co_await db::connection::connect(cfg.database_url, "eelchat-migrate", cfg.db_timeout, log);
        if (conn) {
            auto applied = co_await db::apply_migrations(
                **conn, *migrations, log, std::chrono::steady_clock::now() + std::chrono::seconds(60));
            if (applied) {
                log.info("migrations", {{"applied", *applied}, {"known", migrations->size()}});
                co_return true;
            }
            log.error("migrations_failed",
                      {{"error", applied.error().message()}, {"detail", (*conn)->last_error_message()}});
            co_return false;
        }
        if (std::chrono::steady_clock::now() + backoff > give_up) {
            log.error("database_unreachable", {{"error", conn.error().message()}, {"attempts", attempt}});
            co_return false;
        }
        log.warn("database_not_ready", {{"error", conn.error().message()}, {"attempt", attempt}});
        wait.expires_after(backoff);
        co_await wait.async_wait(asio::use_awaitable);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(4000));
    }
}

bool run_migrations(const config& cfg, const logger& log) {
    asio::io_context ctx;
    bool ok = false;
    asio::co_spawn(ctx, migrate(cfg, log), [&](std::exception_ptr e, bool r) {
        log_exceptions{log, "migrations_failed"}(e);
        ok = !e && r;
    });
    ctx.run();
    return ok;
}

void log_config(const logger& log, const config& cfg) {
    std::string db;
    for (const auto& [k, v] : describe_conninfo(cfg.database_url))
        db += (db.empty() ? "" : " ") + k + "=" + v;
    log.info("config", {{"version", EELCHAT_VERSION},
                        {"host", cfg.host},
                        {"port", cfg.port},
                        {"base_url", cfg.base_url},
                        {"threads", cfg.threads},
                        {"database", db},
                        {"db_pool_size", cfg.db_pool_size},
                        {"db_timeout_ms", cfg.db_timeout.count()},
                        {"assets_dir", cfg.assets_dir},
                        {"shutdown_grace_ms", cfg.shutdown_grace.count()},
                        {"oidc_issuer", cfg.oidc ? cfg.oidc->issuer : std::string("(none)")},
                        {"email_signin", cfg.email_signin ? "on" : "off"}});
}

// Every websocket is an open file: raise the soft limit to the hard one (often 1,024 against 20,000 or
// more), so the process can hold as many connections as the administrator allows. Returns the limit.
rlim_t raise_open_files_limit() {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
    if (lim.rlim_cur < lim.rlim_max) {
        rlimit raised = lim;
        raised.rlim_cur = lim.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) return raised.rlim_cur;
    }
    return lim.rlim_cur;
}

} // namespace

int main() {
    auto parsed =
        parse_config([](const char* name) { return std::getenv(name); }, std::thread::hardware_concurrency());
    if (!parsed) {
        std::fprintf(stderr, "eelchat: configuration error: %s\n", parsed.error().message.c_str());
        return 2;
    }
    const config cfg = *parsed;
    const logger log = logger::to_stderr(cfg.log_min);
    log_config(log, cfg);
    log.info("open_files_limit", {{"limit", static_cast<std::uint64_t>(raise_open_files_limit())}});

    auto shared = std::make_shared<shared_state>(shared_state{cfg, log, nullptr});
    try {
        shared->assets = render::asset_store::load(cfg.assets_dir);
        render::templates tpl; // fail at start, not on first request
        render::page_renderer check(tpl, *shared->assets);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "eelchat: %s\n", e.what());
        return 1;
    }
    if (!run_migrations(cfg, log)) {
        std::fprintf(stderr, "eelchat: cannot prepare the database (see the log above)\n");
        return 1;
    }

    // The realtime hub (LISTEN connection, fan-out) runs on a thread of its own for the process's life.
    shared->hub = start_realtime_hub(cfg, log);
    // So does the feed poller.
    shared->feeds = start_feed_poller(cfg, log);
    shared->sso = make_sso_client(cfg, log);

    net::server_options opts;
    opts.host = cfg.host;
    opts.port = cfg.port;
    opts.threads = cfg.threads;
    // Behind a proxy every connection comes from the proxy: the proxy limits connections per client.
    opts.limits.max_connections_per_address = cfg.trust_proxy ? 0 : cfg.limits.http_connections_per_address;
    std::shared_ptr<const shared_state> frozen = shared;
    net::server srv(
        opts, [frozen](asio::io_context& ctx) { return std::make_unique<app>(ctx, frozen); }, log);

    // Signals are handled on the main thread's own io_context; workers never see them.
    asio::io_context main_ctx;
    asio::signal_set signals(main_ctx, SIGINT, SIGTERM);
    try {
        srv.start();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "eelchat: cannot listen on %s:%u: %s\n", cfg.host.c_str(), cfg.port, e.what());
        return 1;
    }
    log.info("listening",
             {{"url", cfg.base_url}, {"host", cfg.host}, {"port", srv.port()}, {"threads", cfg.threads}});

    bool clean = true;
    std::thread joiner;
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        log.info("shutdown", {{"signal", sig}, {"grace_ms", cfg.shutdown_grace.count()}});
        srv.stop();
        joiner = std::thread([&] {
            clean = srv.join(cfg.shutdown_grace);
            asio::post(main_ctx, [&] { signals.cancel(); });
        });
        // A second signal skips the rest of the grace period.
        signals.async_wait([&](const boost::system::error_code& ec2, int) {
            if (!ec2) srv.force_stop();
        });
    });
    main_ctx.run();
    if (joiner.joinable()) joiner.join();
    shared->feeds->stop();
    if (clean) shared->hub->stop();
    log.info("stopped", {{"clean", clean}});
    if (!clean) std::_Exit(0); // abandoned coroutines are not unwound (see server::join)
    return 0;
}
