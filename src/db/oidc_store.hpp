// Queries of single sign-on: the sign-ins begun at the provider and not finished yet (oidc_logins, see
// db/migrations/0007_oidc.sql). One statement per function, so each is atomic on its own.
#pragma once

#include "db/error.hpp"
#include "db/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace eelchat::db {

// How long a begun sign-in may take at the provider.
inline constexpr std::chrono::seconds oidc_login_ttl = std::chrono::minutes(10);

struct oidc_login_row {
    std::string nonce;
    std::string code_verifier;
    std::string browser_hash;
    bool fresh = false; // begun less than oidc_login_ttl ago
};

// Stores a begun sign-in under the hash of its state.
boost::asio::awaitable<result<void>> create_oidc_login(pool& db, std::string state_hash, std::string nonce,
                                                       std::string code_verifier, std::string browser_hash);
// Takes the sign-in of this state hash out of the table and returns it (stale rows too, marked so).
// Only one caller ever gets a row: a replayed state finds nothing.
boost::asio::awaitable<result<std::optional<oidc_login_row>>> consume_oidc_login(pool& db,
                                                                                 std::string state_hash);
// Removes sign-ins older than oidc_login_ttl (nobody can finish them); returns how many went.
boost::asio::awaitable<result<std::int64_t>> delete_stale_oidc_logins(pool& db);

} // namespace eelchat::db
