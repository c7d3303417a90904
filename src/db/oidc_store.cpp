#include "db/oidc_store.hpp"

#include "db/params.hpp"

namespace eelchat::db {

namespace asio = boost::asio;

namespace {
std::string ttl_seconds() {
    return std::to_string(oidc_login_ttl.count());
}
} // namespace

asio::awaitable<result<void>> create_oidc_login(pool& db, std::string state_hash, std::string nonce,
                                                std::string code_verifier, std::string browser_hash) {
    auto args =
        params(std::move(state_hash), std::move(nonce), std::move(code_verifier), std::move(browser_hash));
    auto r = co_await db.query("INSERT INTO oidc_logins (state_hash, nonce, code_verifier, browser_hash)"
                               " VALUES ($1, $2, $3, $4)",
                               std::move(args));
    if (!r) co_return r.error();
    co_return result<void>();
}

asio::awaitable<result<std::optional<oidc_login_row>>> consume_oidc_login(pool& db, std::string state_hash) {
    auto args = params(std::move(state_hash), ttl_seconds());
    auto r = co_await db.query("DELETE FROM oidc_logins WHERE state_hash = $1"
                               " RETURNING nonce, code_verifier, browser_hash,"
                               " created_at > now() - make_interval(secs => $2)",
                               std::move(args));
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<oidc_login_row>();
    oidc_login_row row;
    row.nonce = std::string(r->get(0, 0));
    row.code_verifier = std::string(r->get(0, 1));
    row.browser_hash = std::string(r->get(0, 2));
    row.fresh = r->get(0, 3) == "t";
    co_return std::optional<oidc_login_row>(std::move(row));
}

asio::awaitable<result<std::int64_t>> delete_stale_oidc_logins(pool& db) {
    auto args = params(ttl_seconds());
    auto r = co_await db.query(
        "DELETE FROM oidc_logins WHERE created_at <= now() - make_interval(secs => $1)", std::move(args));
    if (!r) co_return r.error();
    co_return r->affected_rows();
}

} // namespace eelchat::db
