// eelchat: configuration from the environment, migrations, then the server until SIGINT/SIGTERM; or one
// of the commands of app/cli.hpp.
#include "app/app.hpp"
#include "app/archive_commands.hpp"
#include "app/cli.hpp"
#include "app/config.hpp"
#include "app/service_manager.hpp"
#include "core/embedded.hpp"
#include "core/log.hpp"
#include "db/connection.hpp"
#include "db/migrations.hpp"
#include "metrics/endpoint.hpp"
#include "metrics/process.hpp"
#include "net/server.hpp"
#include "render/assets.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

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
    log.info("config",
             {{"version", EELCHAT_VERSION},
              {"host", cfg.host},
              {"port", cfg.port},
              {"base_url", cfg.base_url},
              {"threads", cfg.threads},
              {"database", db},
              {"db_pool_size", cfg.db_pool_size},
              {"db_timeout_ms", cfg.db_timeout.count()},
              {"assets_dir", cfg.assets_dir},
              {"shutdown_grace_ms", cfg.shutdown_grace.count()},
              {"shutdown_drain_ms", cfg.shutdown_drain.count()},
              {"metrics_addr", cfg.metrics ? cfg.metrics->host + ":" + std::to_string(cfg.metrics->port)
                                           : std::string("off")},
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

// Reads the configuration; on an error prints it on one line (naming the variable) and returns nullopt.
std::optional<config> read_config() {
    auto parsed =
        parse_config([](const char* name) { return std::getenv(name); }, std::thread::hardware_concurrency());
    if (!parsed) {
        std::fprintf(stderr, "eelchat: configuration error: %s\n", parsed.error().message.c_str());
        return std::nullopt;
    }
    return *parsed;
}

// Loads the assets and compiles the templates: a broken ASSETS_DIR fails at start, not on first request.
std::shared_ptr<const render::asset_store> load_assets(const config& cfg) {
    try {
        auto assets = render::asset_store::load(cfg.assets_dir);
        render::templates tpl;
        render::page_renderer check(tpl, *assets);
        return assets;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "eelchat: ASSETS_DIR %s: %s\n", cfg.assets_dir.c_str(), e.what());
        return nullptr;
    }
}

// UPLOADS_DIR, made if missing: a directory the server cannot write fails at start, not on first upload.
bool prepare_uploads_dir(const config& cfg) {
    if (cfg.uploads_dir.empty()) return true;
    std::error_code ec;
    std::filesystem::create_directories(cfg.uploads_dir, ec);
    if (!ec && ::access(cfg.uploads_dir.c_str(), W_OK | X_OK) != 0) ec = {errno, std::generic_category()};
    if (ec) {
        std::fprintf(stderr, "eelchat: UPLOADS_DIR %s: %s\n", cfg.uploads_dir.c_str(), ec.message().c_str());
        return false;
    }
    return true;
}

// The watchdog ping proves more than a live main thread: each round posts a no-op to every worker, and
// the next ping goes out only when all of them ran it, so a worker stuck in a loop stops the pings and
// systemd restarts the service.
class watchdog {
public:
    watchdog(asio::io_context& ctx, net::server& srv, unsigned workers, std::chrono::microseconds every)
        : timer_(ctx), srv_(srv), workers_(workers), every_(every) {}

    void start() {
        answered_->store(workers_);
        tick();
    }
    void stop() { timer_.cancel(); }

private:
    void tick() {
        if (answered_->exchange(0) >= workers_) service_manager::watchdog_ping();
        srv_.for_each_worker([answered = answered_](asio::io_context&) { answered->fetch_add(1); });
        timer_.expires_after(every_);
        timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) tick();
        });
    }

    asio::steady_timer timer_;
    net::server& srv_;
    unsigned workers_;
    std::chrono::microseconds every_;
    std::shared_ptr<std::atomic<unsigned>> answered_ = std::make_shared<std::atomic<unsigned>>(0);
};

int serve(const config& cfg) {
    const logger log = logger::to_stderr(cfg.log_min, cfg.log_style);
    log_config(log, cfg);
    log.info("open_files_limit", {{"limit", static_cast<std::uint64_t>(raise_open_files_limit())}});

    auto shared = std::make_shared<shared_state>(shared_state{cfg, log, nullptr});
    shared->assets = load_assets(cfg);
    if (!shared->assets || !prepare_uploads_dir(cfg)) return 1;
    service_manager::status("applying database migrations");
    if (!run_migrations(cfg, log)) {
        std::fprintf(stderr, "eelchat: cannot prepare the database (see the log above)\n");
        return 1;
    }

    // The realtime hub (LISTEN connection, fan-out) runs on a thread of its own for the process's life.
    shared->hub = start_realtime_hub(cfg, log);
    // So do the feed poller and the Web Push sender.
    shared->feeds = start_feed_poller(cfg, log);
    shared->push = start_push_sender(cfg, log, *shared->hub);
    shared->sso = make_sso_client(cfg, log);

    // The Prometheus endpoint, on its own thread and port (METRICS_ADDR), before the chat's port opens so
    // that a scrape sees the whole life of the process.
    std::unique_ptr<metrics::endpoint> metrics_endpoint;
    if (cfg.metrics) {
        metrics::add_process_collector(metrics::global());
        metrics::endpoint_options mo;
        mo.host = cfg.metrics->host;
        mo.port = cfg.metrics->port;
        try {
            metrics_endpoint = std::make_unique<metrics::endpoint>(mo, metrics::global(), log);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "eelchat: cannot listen on METRICS_ADDR %s:%u: %s\n", mo.host.c_str(),
                         mo.port, e.what());
            return 1;
        }
        log.info("metrics_listening", {{"host", mo.host}, {"port", metrics_endpoint->port()}});
    }

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
    service_manager::ready("serving " + cfg.base_url);
    std::optional<watchdog> dog;
    if (auto every = service_manager::watchdog_interval()) {
        dog.emplace(main_ctx, srv, cfg.threads, *every);
        dog->start();
    }

    bool clean = true;
    bool hurry = false;
    std::thread joiner;
    asio::steady_timer drain(main_ctx);
    // After the drain (readyz says 503, everything else still served): stop accepting, close the
    // WebSockets with 1012, let in-flight requests finish within the grace period.
    auto stop_serving = [&] {
        srv.stop();
        joiner = std::thread([&] {
            clean = srv.join(cfg.shutdown_grace);
            asio::post(main_ctx, [&] {
                signals.cancel();
                drain.cancel();
                if (dog) dog->stop();
            });
        });
    };
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        log.info("shutdown", {{"signal", sig},
                              {"drain_ms", cfg.shutdown_drain.count()},
                              {"grace_ms", cfg.shutdown_grace.count()}});
        service_manager::stopping("draining, then closing connections");
        shared->draining->store(true);
        // A second signal skips what is left of the drain and of the grace period.
        signals.async_wait([&](const boost::system::error_code& ec2, int) {
            if (ec2) return;
            hurry = true;
            if (joiner.joinable())
                srv.force_stop();
            else
                drain.cancel();
        });
        drain.expires_after(cfg.shutdown_drain);
        drain.async_wait([&](const boost::system::error_code&) {
            if (joiner.joinable()) return;
            stop_serving();
            if (hurry) srv.force_stop();
        });
    });
    main_ctx.run();
    if (joiner.joinable()) joiner.join();
    shared->feeds->stop();
    shared->push->stop();
    if (clean) shared->hub->stop();
    if (metrics_endpoint) metrics_endpoint->stop();
    log.info("stopped", {{"clean", clean}});
    if (!clean) std::_Exit(0); // abandoned coroutines are not unwound (see server::join)
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const auto line = parse_command_line(std::span<const char* const>(argv + 1, argc > 0 ? argc - 1 : 0));
    if (!line.error.empty()) {
        std::fprintf(stderr, "eelchat: %s\n\n%.*s", line.error.c_str(), static_cast<int>(usage_text().size()),
                     usage_text().data());
        return 2;
    }
    switch (line.cmd) {
    case command::version:
        std::printf("eelchat %s\n", EELCHAT_VERSION);
        return 0;
    case command::help:
        std::fwrite(usage_text().data(), 1, usage_text().size(), stdout);
        return 0;
    case command::check_config: {
        auto cfg = read_config();
        if (!cfg) return 2;
        if (!load_assets(*cfg)) return 2;
        std::printf("eelchat: the configuration is valid\n");
        for (const auto& [k, v] : describe_conninfo(cfg->database_url))
            std::printf("  database %s=%s\n", k.c_str(), v.c_str());
        std::printf("  listening on %s:%u, BASE_URL %s, %u threads\n", cfg->host.c_str(), cfg->port,
                    cfg->base_url.c_str(), cfg->threads);
        return 0;
    }
    case command::migrate: {
        auto cfg = read_config();
        if (!cfg) return 2;
        const logger log = logger::to_stderr(cfg->log_min, cfg->log_style);
        return run_migrations(*cfg, log) ? 0 : 1;
    }
    case command::export_community: {
        auto cfg = read_config();
        if (!cfg) return 2;
        return run_export(*cfg, line.args.at(0), line.args.at(1));
    }
    case command::import_archive: {
        auto cfg = read_config();
        if (!cfg) return 2;
        return run_import(*cfg, line.args.at(0));
    }
    case command::serve: {
        auto cfg = read_config();
        if (!cfg) return 2;
        return serve(*cfg);
    }
    }
    return 2;
}
