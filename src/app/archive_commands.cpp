#include "app/archive_commands.hpp"

#include "archive/file_store.hpp"
#include "archive/transfer.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"
#include "db/connection.hpp"
#include "db/pool.hpp"
#include "uploads/storage.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

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

// A file the archive writes into the uploads storage: its blob_writer, and what finish() stored.
class storage_file_writer final : public archive::file_writer {
public:
    explicit storage_file_writer(std::unique_ptr<uploads::blob_writer> w) : writer_(std::move(w)) {}
    asio::awaitable<db::result<void>> append(std::string_view bytes) override {
        co_return co_await writer_->append(bytes);
    }
    asio::awaitable<db::result<archive::stored_file>> finish() override {
        auto info = co_await writer_->finish();
        if (!info) co_return info.error();
        co_return archive::stored_file{std::move(info->id), info->size, std::move(info->sha256)};
    }
    asio::awaitable<db::result<void>> abort() override { co_return co_await writer_->abort(); }

private:
    std::unique_ptr<uploads::blob_writer> writer_;
};

// The archive's view of the uploads storage (the archive feature may not include uploads itself).
class storage_files final : public archive::file_store {
public:
    explicit storage_files(uploads::storage& s) : storage_(s) {}

    asio::awaitable<db::result<void>> read(std::string blob_id,
                                           std::function<void(std::string_view)> piece) override {
        auto reader = co_await storage_.open(std::move(blob_id));
        if (!reader) co_return reader.error();
        const auto size = (*reader)->size();
        for (std::int64_t at = 0; at < size;) {
            auto bytes = co_await (*reader)->read(at, piece_bytes);
            if (!bytes) co_return bytes.error();
            // A blob that ends before its size would loop for ever: treat it as damaged.
            if (bytes->empty()) co_return make_error_code(boost::system::errc::io_error);
            at += static_cast<std::int64_t>(bytes->size());
            piece(*bytes);
        }
        co_return db::result<void>();
    }
    asio::awaitable<db::result<std::unique_ptr<archive::file_writer>>>
    begin(std::int64_t max_bytes) override {
        auto w = co_await storage_.begin(max_bytes);
        if (!w) co_return w.error();
        std::unique_ptr<archive::file_writer> out = std::make_unique<storage_file_writer>(std::move(*w));
        co_return out;
    }
    asio::awaitable<db::result<void>> remove(std::string blob_id) override {
        auto removed = co_await storage_.remove(std::move(blob_id));
        if (!removed) co_return removed.error();
        co_return db::result<void>();
    }

private:
    static constexpr std::size_t piece_bytes = 256 << 10;
    uploads::storage& storage_;
};

// The storage UPLOADS_DIR selects, as the server makes it; the PostgreSQL backend reads and writes
// through `pool`, on connections of their own beside the export's or import's transaction.
struct command_files {
    command_files(asio::any_io_executor ex, const config& cfg, const char* name, const logger& log)
        : pool(ex, database_pool(cfg, name, 2), log), threads(uploads::make_file_threads(1)),
          storage(uploads::make_storage(cfg.uploads_dir, pool, threads)),
          files(make_archive_files(*storage)) {}
    db::pool pool;
    std::shared_ptr<asio::thread_pool> threads;
    std::unique_ptr<uploads::storage> storage;
    std::unique_ptr<archive::file_store> files;
};

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
    const auto ex = co_await asio::this_coro::executor;
    command_files store(ex, cfg, "eelchat-export", log);
    auto exported_at = archive::utc_timestamp(std::time(nullptr));
    auto outcome =
        co_await archive::export_community(**conn, community_id, out.get(), exported_at, *store.files);
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
    std::printf(
        "exported \"%s\": %lld members, %lld channels, %lld messages, %lld reactions, %lld files to %s\n",
        m.title.c_str(), static_cast<long long>(m.members), static_cast<long long>(m.channels),
        static_cast<long long>(m.messages), static_cast<long long>(m.reactions),
        static_cast<long long>(m.uploads), path.c_str());
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
    const auto ex = co_await asio::this_coro::executor;
    command_files store(ex, cfg, "eelchat-import", log);
    auto outcome = co_await archive::import_archive(**conn, in.get(), *store.files);
    if (!outcome.counts) {
        std::fprintf(stderr, "eelchat: import: %s: %s\n", path.c_str(), outcome.error.c_str());
        co_return 1;
    }
    const auto& c = *outcome.counts;
    std::printf("imported community %s: %lld members (%lld new users), %lld channels, %lld messages, %lld "
                "reactions, %lld files\n",
                c.community_id.c_str(), static_cast<long long>(c.members),
                static_cast<long long>(c.new_users), static_cast<long long>(c.channels),
                static_cast<long long>(c.messages), static_cast<long long>(c.reactions),
                static_cast<long long>(c.uploads));
    co_return 0;
}

} // namespace

std::unique_ptr<archive::file_store> make_archive_files(uploads::storage& storage) {
    return std::make_unique<storage_files>(storage);
}

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
