// Queries of sign-in and sessions: users, browser sessions, emailed links and codes, rate limits.
// Every function makes one round trip through the pool (one statement), so each is atomic on its own.
// Secrets arrive here already hashed (sha256 hex); no plaintext token or code reaches the database.
#pragma once

#include "db/error.hpp"
#include "db/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace eelchat::db {

struct session_row {
    std::string token_hash;
    std::string csrf_token;
    std::optional<std::string> user_id; // nullopt: an anonymous session, or its user was deleted
    std::string email;
    std::optional<std::string> display_name;
};

struct link_row {
    std::string email;
    std::string session_hash; // the session that asked for the link
};

enum class code_check { accepted, wrong, expired_or_missing };

// A live (unexpired) session by the hash of its cookie value, with its user if signed in.
boost::asio::awaitable<result<std::optional<session_row>>> find_session(pool& db, std::string token_hash);
// Stores a new session; `user_id` nullopt for an anonymous one.
boost::asio::awaitable<result<void>> create_session(pool& db, std::string token_hash, std::string csrf_token,
                                                    std::optional<std::string> user_id,
                                                    std::chrono::seconds ttl);
boost::asio::awaitable<result<void>> delete_session(pool& db, std::string token_hash);
// Removes expired sessions, links and codes; returns how many rows went.
boost::asio::awaitable<result<std::int64_t>> delete_expired_auth_rows(pool& db);

// The user with this (normalised) email, created if new; returns the user id.
boost::asio::awaitable<result<std::string>> upsert_user(pool& db, std::string email);
boost::asio::awaitable<result<bool>> user_exists(pool& db, std::string email);
boost::asio::awaitable<result<void>> set_display_name(pool& db, std::string user_id,
                                                      std::optional<std::string> name);

boost::asio::awaitable<result<void>> create_link(pool& db, std::string token_hash, std::string email,
                                                 std::string session_hash, std::chrono::seconds ttl);
// An unused, unexpired link, without using it up.
boost::asio::awaitable<result<std::optional<link_row>>> peek_link(pool& db, std::string token_hash);
// Uses the link up: true only for the one caller that turned it from unused to used.
boost::asio::awaitable<result<bool>> consume_link(pool& db, std::string token_hash);

// Replaces the email's code (a new code resets the tries).
boost::asio::awaitable<result<void>> store_code(pool& db, std::string email, std::string code_hash,
                                                std::chrono::seconds ttl);
// Checks a code: accepted (and deleted), wrong (a try is counted), or expired_or_missing (also when the
// tries are used up: a new code is needed).
boost::asio::awaitable<result<code_check>> check_code(pool& db, std::string email, std::string code_hash,
                                                      int max_failures);

// The shared secret `name` of server_keys (made by the migrations).
boost::asio::awaitable<result<std::string>> server_key(pool& db, std::string name);

// Counts one hit in a fixed window; true while the bucket stays within `limit` hits per `window`.
boost::asio::awaitable<result<bool>> rate_limit_hit(pool& db, std::string bucket, int limit,
                                                    std::chrono::seconds window);
// Whether the bucket still has room in its current window, without counting a hit.
boost::asio::awaitable<result<bool>> rate_limit_room(pool& db, std::string bucket, int limit,
                                                     std::chrono::seconds window);

} // namespace eelchat::db
