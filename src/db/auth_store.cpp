#include "db/auth_store.hpp"

#include "db/params.hpp"

namespace eelchat::db {

namespace asio = boost::asio;

namespace {
std::string seconds(std::chrono::seconds s) {
    return std::to_string(s.count());
}
} // namespace

asio::awaitable<result<std::optional<session_row>>> find_session(pool& db, std::string token_hash) {
    auto args = params(std::move(token_hash));
    auto r = co_await db.query("SELECT s.token_hash, s.csrf_token, u.id, u.email, u.display_name"
                               " FROM sessions s LEFT JOIN users u ON u.id = s.user_id"
                               " WHERE s.token_hash = $1 AND s.expires_at > now()",
                               std::move(args));
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<session_row>();
    session_row s;
    s.token_hash = std::string(r->get(0, 0));
    s.csrf_token = std::string(r->get(0, 1));
    s.user_id = optional_text(*r, 0, 2);
    s.email = std::string(r->get(0, 3));
    s.display_name = optional_text(*r, 0, 4);
    co_return std::optional<session_row>(std::move(s));
}

asio::awaitable<result<void>> create_session(pool& db, std::string token_hash, std::string csrf_token,
                                             std::optional<std::string> user_id, std::chrono::seconds ttl) {
    auto args = params(std::move(token_hash), std::move(csrf_token), std::move(user_id), seconds(ttl));
    auto r = co_await db.query("INSERT INTO sessions (token_hash, csrf_token, user_id, expires_at)"
                               " VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
                               std::move(args));
    if (!r) co_return r.error();
    co_return result<void>();
}

asio::awaitable<result<void>> delete_session(pool& db, std::string token_hash) {
    auto args = params(std::move(token_hash));
    auto r = co_await db.query("DELETE FROM sessions WHERE token_hash = $1", std::move(args));
    if (!r) co_return r.error();
    co_return result<void>();
}

asio::awaitable<result<std::int64_t>> delete_expired_auth_rows(pool& db) {
    auto r = co_await db.query(
        "WITH s AS (DELETE FROM sessions WHERE expires_at <= now() RETURNING 1),"
        " l AS (DELETE FROM sign_in_links WHERE expires_at <= now() - interval '1 day' RETURNING 1),"
        " c AS (DELETE FROM sign_in_codes WHERE expires_at <= now() RETURNING 1),"
        " r AS (DELETE FROM rate_limits WHERE window_start <= now() - interval '1 day' RETURNING 1)"
        " SELECT (SELECT count(*) FROM s) + (SELECT count(*) FROM l) + (SELECT count(*) FROM c)"
        " + (SELECT count(*) FROM r)");
    if (!r) co_return r.error();
    co_return to_int(r->get(0, 0)).value_or(0);
}

asio::awaitable<result<std::string>> upsert_user(pool& db, std::string email) {
    // DO UPDATE (a no-op write) rather than DO NOTHING, so RETURNING yields the existing row too.
    auto args = params(std::move(email));
    auto r = co_await db.query("INSERT INTO users (email) VALUES ($1)"
                               " ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id",
                               std::move(args));
    if (!r) co_return r.error();
    co_return std::string(r->get(0, 0));
}

asio::awaitable<result<bool>> user_exists(pool& db, std::string email) {
    auto args = params(std::move(email));
    auto r = co_await db.query("SELECT 1 FROM users WHERE email = $1", std::move(args));
    if (!r) co_return failure<bool>(r.error());
    co_return r->rows() > 0;
}

asio::awaitable<result<void>> set_display_name(pool& db, std::string user_id,
                                               std::optional<std::string> name) {
    auto args = params(std::move(user_id), std::move(name));
    auto r = co_await db.query("UPDATE users SET display_name = $2 WHERE id = $1", std::move(args));
    if (!r) co_return r.error();
    co_return result<void>();
}

asio::awaitable<result<void>> create_link(pool& db, std::string token_hash, std::string email,
                                          std::string session_hash, std::chrono::seconds ttl) {
    auto args = params(std::move(token_hash), std::move(email), std::move(session_hash), seconds(ttl));
    auto r = co_await db.query("INSERT INTO sign_in_links (token_hash, email, session_hash, expires_at)"
                               " VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
                               std::move(args));
    if (!r) co_return r.error();
    co_return result<void>();
}

asio::awaitable<result<std::optional<link_row>>> peek_link(pool& db, std::string token_hash) {
    auto args = params(std::move(token_hash));
    auto r = co_await db.query("SELECT email, session_hash FROM sign_in_links"
                               " WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()",
                               std::move(args));
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<link_row>();
    co_return std::optional<link_row>(link_row{std::string(r->get(0, 0)), std::string(r->get(0, 1))});
}

asio::awaitable<result<bool>> consume_link(pool& db, std::string token_hash) {
    auto args = params(std::move(token_hash));
    auto r = co_await db.query("UPDATE sign_in_links SET used_at = now()"
                               " WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()",
                               std::move(args));
    if (!r) co_return failure<bool>(r.error());
    co_return r->affected_rows() == 1;
}

asio::awaitable<result<void>> store_code(pool& db, std::string email, std::string code_hash,
                                         std::chrono::seconds ttl) {
    auto args = params(std::move(email), std::move(code_hash), seconds(ttl));
    auto r = co_await db.query(
        "INSERT INTO sign_in_codes (email, code_hash, expires_at)"
        " VALUES ($1, $2, now() + make_interval(secs => $3))"
        " ON CONFLICT (email) DO UPDATE SET code_hash = EXCLUDED.code_hash, created_at = now(),"
        " expires_at = EXCLUDED.expires_at, failed_attempts = 0",
        std::move(args));
    if (!r) co_return r.error();
    co_return result<void>();
}

asio::awaitable<result<code_check>> check_code(pool& db, std::string email, std::string code_hash,
                                               int max_failures) {
    // One statement decides: the matching, live code is deleted (accepted); otherwise a live code gets
    // one more failed try. Two concurrent right answers cannot both be counted as wrong, and a wrong
    // guess can never be counted after the code was used.
    auto args = params(std::move(email), std::move(code_hash), max_failures);
    auto r = co_await db.query(
        "WITH ok AS (DELETE FROM sign_in_codes WHERE email = $1 AND code_hash = $2 AND expires_at > now()"
        "            AND failed_attempts < $3 RETURNING 1),"
        " bad AS (UPDATE sign_in_codes SET failed_attempts = failed_attempts + 1"
        "         WHERE email = $1 AND NOT EXISTS (SELECT 1 FROM ok) AND expires_at > now()"
        "         AND failed_attempts < $3 RETURNING 1)"
        " SELECT (SELECT count(*) FROM ok), (SELECT count(*) FROM bad)",
        std::move(args));
    if (!r) co_return r.error();
    if (r->get(0, 0) == "1") co_return code_check::accepted;
    if (r->get(0, 1) == "1") co_return code_check::wrong;
    co_return code_check::expired_or_missing;
}

asio::awaitable<result<bool>> rate_limit_hit(pool& db, std::string bucket, int limit,
                                             std::chrono::seconds window) {
    auto args = params(std::move(bucket), seconds(window));
    auto r = co_await db.query(
        "INSERT INTO rate_limits AS rl (bucket, window_start, hits) VALUES ($1, now(), 1)"
        " ON CONFLICT (bucket) DO UPDATE SET"
        "  hits = CASE WHEN rl.window_start <= now() - make_interval(secs => $2) THEN 1 ELSE rl.hits + 1 END,"
        "  window_start = CASE WHEN rl.window_start <= now() - make_interval(secs => $2) THEN now()"
        "                 ELSE rl.window_start END"
        " RETURNING hits",
        std::move(args));
    if (!r) co_return failure<bool>(r.error());
    co_return to_int(r->get(0, 0)).value_or(0) <= limit;
}

asio::awaitable<result<bool>> rate_limit_room(pool& db, std::string bucket, int limit,
                                              std::chrono::seconds window) {
    auto args = params(std::move(bucket), seconds(window), limit);
    auto r = co_await db.query("SELECT NOT EXISTS (SELECT 1 FROM rate_limits WHERE bucket = $1"
                               " AND window_start > now() - make_interval(secs => $2) AND hits >= $3)",
                               std::move(args));
    if (!r) co_return failure<bool>(r.error());
    co_return r->get(0, 0) == "t";
}

asio::awaitable<result<std::string>> server_key(pool& db, std::string name) {
    auto args = params(std::move(name));
    auto r = co_await db.query("SELECT secret FROM server_keys WHERE name = $1", std::move(args));
    if (!r) co_return failure<std::string>(r.error());
    if (r->rows() == 0)
        co_return failure<std::string>(make_error_code(errc::protocol_error)); // migrations not applied
    co_return std::string(r->get(0, 0));
}

} // namespace eelchat::db
