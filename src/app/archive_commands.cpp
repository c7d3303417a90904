#include "app/archive_commands.hpp"

#include "archive/transfer.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"
#include "db/connection.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <ctime>
#include <memory>

namespace eelchat {

namespace asio = boost::asio;

namespace {

struct file_closer {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

// Runs `job` (a coroutine returning an exit code) to completion on a fresh io_context.
template <class Job> int run_job(Job job) {
    asio::io_context ctx;
    int code = 1;
    asio::co_spawn(ctx, std::move(job), [&](std::exception_ptr e, int r) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                std::fprintf(stderr, "eelchat: %s\n", ex.what());
            }
            code = 1;
        } else {
            code = r;
        }
    });
    ctx.run();
    return code;
}

asio::awaitable<int> export_job(config cfg, std::string community_id, std::string path) {
    const logger log = logger::to_stderr(log_level::warn, cfg.log_style);
    auto conn = co_await db::connection::connect(cfg.database_url, "eelchat-export", cfg.db_timeout, log);
    if (!conn) {
        std::fprintf(stderr, "eelchat: export: cannot reach the database: %s\n",
                     conn.error().message().c_str());
        co_return 1;
    }
    file_ptr out(std::fopen(path.c_str(), "w+b"));
    if (!out) {
        std::fprintf(stderr, "eelchat: export: cannot write %s\n", path.c_str());
        co_return 1;
    }
    auto outcome = co_await archive::export_community(**conn, community_id, out.get(),
                                                      archive::utc_timestamp(std::time(nullptr)));
    out.reset();
    if (!outcome.written) {
        std::remove(path.c_str());
        if (outcome.error.empty())
            std::fprintf(stderr, "eelchat: export: no community %s\n", community_id.c_str());
        else
            std::fprintf(stderr, "eelchat: export: %s\n", outcome.error.c_str());
        co_return 1;
    }
    const auto& m = *outcome.written;
    std::printf("exported \"%s\": %lld members, %lld channels, %lld messages, %lld reactions to %s\n",
                m.title.c_str(), static_cast<long long>(m.members), static_cast<long long>(m.channels),
                static_cast<long long>(m.messages), static_cast<long long>(m.reactions), path.c_str());
    co_return 0;
}

asio::awaitable<int> import_job(config cfg, std::string path) {
    const logger log = logger::to_stderr(log_level::warn, cfg.log_style);
    file_ptr in(std::fopen(path.c_str(), "rb"));
    if (!in) {
        std::fprintf(stderr, "eelchat: import: cannot read %s\n", path.c_str());
        co_return 1;
    }
    auto conn = co_await db::connection::connect(cfg.database_url, "eelchat-import", cfg.db_timeout, log);
    if (!conn) {
        std::fprintf(stderr, "eelchat: import: cannot reach the database: %s\n",
                     conn.error().message().c_str());
        co_return 1;
    }
    auto outcome = co_await archive::import_archive(**conn, in.get());
    if (!outcome.counts) {
        std::fprintf(stderr, "eelchat: import: %s: %s\n", path.c_str(), outcome.error.c_str());
        co_return 1;
    }
    const auto& c = *outcome.counts;
    std::printf("imported community %s: %lld members (%lld new users), %lld channels, %lld messages, %lld "
                "reactions\n",
                c.community_id.c_str(), static_cast<long long>(c.members),
                static_cast<long long>(c.new_users), static_cast<long long>(c.channels),
                static_cast<long long>(c.messages), static_cast<long long>(c.reactions));
    co_return 0;
}

} // namespace

int run_export(const config& cfg, const std::string& community_id, const std::string& path) {
    auto id = crypto::normalize_uuid(community_id);
    if (!id) {
        std::fprintf(stderr, "eelchat: export: \"%s\" is not a community id\n", community_id.c_str());
        return 1;
    }
    return run_job(export_job(cfg, *id, path));
}

int run_import(const config& cfg, const std::string& path) {
    return run_job(import_job(cfg, path));
}

} // namespace eelchat
