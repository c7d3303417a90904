// Schema migrations: the SQL files of db/migrations/, embedded in the binary, applied in order at start-up.
//
// All pending migrations run in ONE transaction under a transaction-level advisory lock, so several
// instances starting together apply each migration exactly once, and a failing migration leaves the
// database exactly as it was. A migration file must therefore not contain BEGIN/COMMIT itself, nor
// statements PostgreSQL refuses inside a transaction (CREATE INDEX CONCURRENTLY, ...).
#pragma once

#include "core/embedded.hpp"
#include "core/log.hpp"
#include "db/connection.hpp"
#include "db/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace eelchat::db {

struct migration {
    int version = 0;
    std::string name;     // "init" for 0001_init.sql
    std::string_view sql; // points into the embedded file
};

enum class migration_errc {
    bad_file_name = 1, // not "NNNN_name.sql"
    bad_sequence,      // versions not 1, 2, 3, ... in order (a gap, a duplicate, unsorted)
    checksum_mismatch, // an applied migration was edited afterwards
    transaction_ended, // a migration ran COMMIT or ROLLBACK itself
};

const boost::system::error_category& migration_category() noexcept;
boost::system::error_code make_error_code(migration_errc e) noexcept;

// Pure. Files must be named "<digits>_<name>.sql" (name: letters, digits, '_' or '-') and come in
// version order 1, 2, 3, ... (the embedded files are sorted by name, so zero-pad the numbers).
// On error, `problem` (if given) names the offending file.
result<std::vector<migration>> parse_migrations(std::span<const embedded::file> files,
                                                std::string* problem = nullptr);

// Pure. What schema_migrations.checksum records for a migration's SQL: FNV-1a 64 in hex, which catches
// accidental edits (not adversaries: whoever can edit the embedded SQL can do anything anyway).
// Carriage returns are ignored so that a checkout with CRLF line endings does not count as an edit.
std::string migration_checksum(std::string_view sql);

// The advisory lock key all instances take while migrating ("eelchat" in ASCII, then 1).
inline constexpr std::int64_t migration_lock_key = 0x65656c6368617401;

// Applies the migrations `conn` has not recorded yet, in one transaction, and completes with how many it
// applied (0 when up to date). Logs each applied migration at info. Errors: the SQLSTATE of a failing
// migration (its message is logged at error with the version), migration_errc::checksum_mismatch, and
// the connection's errors (timeout at the deadline, which includes waiting for another instance's lock;
// errc::cancelled when the awaiting coroutine is cancelled). On any error the transaction is rolled back;
// when the error poisoned the connection (timeout, cancellation), closing the connection rolls it back.
boost::asio::awaitable<result<int>> apply_migrations(connection& conn, std::span<const migration> migrations,
                                                     logger log,
                                                     std::chrono::steady_clock::time_point deadline);

} // namespace eelchat::db

template <> struct boost::system::is_error_code_enum<eelchat::db::migration_errc> : std::true_type {};
