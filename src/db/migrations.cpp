#include "db/migrations.hpp"

#include <algorithm>
#include <charconv>
#include <map>

namespace eelchat::db {
namespace asio = boost::asio;
using std::chrono::steady_clock;

namespace {

class migration_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "eelchat.migrations"; }
    std::string message(int ev) const override {
        switch (static_cast<migration_errc>(ev)) {
        case migration_errc::bad_file_name:
            return "migration file name is not NNNN_name.sql";
        case migration_errc::bad_sequence:
            return "migration versions are not 1, 2, 3, ... in order";
        case migration_errc::checksum_mismatch:
            return "an applied migration was modified";
        case migration_errc::transaction_ended:
            return "a migration ended the migrations' transaction";
        }
        return "unknown migration error " + std::to_string(ev);
    }
};

const migration_category_impl migration_category_instance;

bool valid_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

constexpr std::string_view schema_table_sql = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
    version int PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
))sql";

struct applied_row {
    std::string name;
    std::string checksum;
};

// Everything between BEGIN and COMMIT. Returns the migrations it applied.
asio::awaitable<result<std::vector<const migration*>>>
migrate_in_transaction(connection& conn, std::span<const migration> ms, const logger& log,
                       steady_clock::time_point deadline) {
    // Serialise instances before looking at anything: the second one waits here, then sees the first's
    // committed rows, since each statement of a READ COMMITTED transaction takes a fresh snapshot.
    const param key[] = {std::to_string(migration_lock_key)};
    if (auto r = co_await conn.query("SELECT pg_advisory_xact_lock($1::bigint)", key, deadline); !r) {
        co_return r.error();
    }
    if (auto r = co_await conn.execute(schema_table_sql, deadline); !r) co_return r.error();
    auto rows = co_await conn.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version",
                                    {}, deadline);
    if (!rows) co_return rows.error();

    std::map<int, applied_row> applied;
    for (int i = 0; i < rows->rows(); ++i) {
        int version = 0;
        auto v = rows->get(i, 0);
        std::from_chars(v.data(), v.data() + v.size(), version);
        applied[version] = {std::string(rows->get(i, 1)), std::string(rows->get(i, 2))};
    }

    for (const auto& [version, row] : applied) {
        auto it =
            std::find_if(ms.begin(), ms.end(), [&](const migration& m) { return m.version == version; });
        if (it == ms.end()) {
            // A newer binary migrated this database; this one may still work with the schema.
            log.warn("db_migration_unknown", {{"version", version}, {"name", row.name}});
            continue;
        }
        const auto expected = migration_checksum(it->sql);
        if (row.checksum != expected) {
            log.error("db_migration_modified", {{"version", version},
                                                {"name", it->name},
                                                {"recorded_checksum", row.checksum},
                                                {"embedded_checksum", expected}});
            co_return make_error_code(migration_errc::checksum_mismatch);
        }
    }

    std::vector<const migration*> done;
    for (const auto& m : ms) {
        if (applied.contains(m.version)) continue;
        if (auto r = co_await conn.execute(m.sql, deadline); !r) {
            log.error("db_migration_failed", {{"version", m.version},
                                              {"name", m.name},
                                              {"error", r.error().message()},
                                              {"detail", conn.last_error_message()}});
            co_return r.error();
        }
        if (conn.transaction_status() != PQTRANS_INTRANS) {
            log.error("db_migration_ended_transaction", {{"version", m.version}, {"name", m.name}});
            co_return make_error_code(migration_errc::transaction_ended);
        }
        const param row[] = {std::to_string(m.version), m.name, migration_checksum(m.sql)};
        auto r = co_await conn.query(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", row, deadline);
        if (!r) co_return r.error();
        done.push_back(&m);
    }
    co_return done;
}

} // namespace

const boost::system::error_category& migration_category() noexcept {
    return migration_category_instance;
}

boost::system::error_code make_error_code(migration_errc e) noexcept {
    return {static_cast<int>(e), migration_category_instance};
}

result<std::vector<migration>> parse_migrations(std::span<const embedded::file> files, std::string* problem) {
    std::vector<migration> out;
    auto fail = [&](migration_errc e, std::string_view file) -> result<std::vector<migration>> {
        if (problem) *problem = std::string(file);
        return make_error_code(e);
    };
    for (const auto& f : files) {
        std::string_view n = f.name;
        constexpr std::string_view ext = ".sql";
        if (!n.ends_with(ext)) return fail(migration_errc::bad_file_name, f.name);
        n.remove_suffix(ext.size());
        const auto underscore = n.find('_');
        if (underscore == 0 || underscore == std::string_view::npos || underscore > 9) {
            return fail(migration_errc::bad_file_name, f.name);
        }
        const auto digits = n.substr(0, underscore);
        const auto name = n.substr(underscore + 1);
        if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            name.empty() || !std::all_of(name.begin(), name.end(), valid_name_char)) {
            return fail(migration_errc::bad_file_name, f.name);
        }
        int version = 0;
        std::from_chars(digits.data(), digits.data() + digits.size(), version);
        if (version != static_cast<int>(out.size()) + 1) return fail(migration_errc::bad_sequence, f.name);
        out.push_back({version, std::string(name), f.content});
    }
    return out;
}

std::string migration_checksum(std::string_view sql) {
    std::uint64_t h = 0xcbf29ce484222325ULL; // FNV-1a 64 offset basis
    for (char c : sql) {
        if (c == '\r') continue;
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL; // FNV prime
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "fnv1a64:";
    for (int shift = 60; shift >= 0; shift -= 4)
        out += hex[(h >> shift) & 0xf];
    return out;
}

asio::awaitable<result<int>> apply_migrations(connection& conn, std::span<const migration> migrations,
                                              logger log, steady_clock::time_point deadline) {
    if (auto r = co_await conn.execute("BEGIN", deadline); !r) co_return r.error();
    auto done = co_await migrate_in_transaction(conn, migrations, log, deadline);
    boost::system::error_code ec = done ? boost::system::error_code{} : done.error();
    if (!ec) {
        if (auto r = co_await conn.execute("COMMIT", deadline); !r) ec = r.error();
    }
    if (ec) {
        // A poisoned connection cannot roll back; closing it does (the pool discards it).
        if (conn.usable() && conn.transaction_status() != PQTRANS_IDLE) {
            auto r = co_await conn.execute("ROLLBACK", steady_clock::now() + std::chrono::seconds(2));
            if (!r) log.warn("db_migration_rollback_failed", {{"error", r.error().message()}});
        }
        co_return ec;
    }
    for (const migration* m : *done)
        log.info("db_migration_applied", {{"version", m->version}, {"name", m->name}});
    co_return static_cast<int>(done->size());
}

} // namespace eelchat::db
