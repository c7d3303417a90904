// Begun single sign-ins in PostgreSQL: each state is taken out once, an old one is marked stale, and
// housekeeping removes what nobody can finish.
#include "db/oidc_store.hpp"
#include "db/support.hpp"
#include "support/app_server.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;
namespace asio = boost::asio;
using test::ok;

namespace {

struct oidc_db {
    test::scratch_db db;
    asio::io_context ctx;
    std::unique_ptr<db::pool> pool;

    oidc_db() {
        test::apply_all_migrations(db.url());
        db::pool_config pc;
        pc.conninfo = db.url();
        pc.max_size = 2;
        pool = std::make_unique<db::pool>(ctx.get_executor(), pc, logger::null());
    }
    ~oidc_db() { pool->close(); }

    template <class T> T run(asio::awaitable<T> op) { return test::run_async(ctx, std::move(op)); }
    std::string value(const std::string& q) { return test::sql_value(db.url(), q); }
};

const std::string state_a(64, 'a');
const std::string state_b(64, 'b');

} // namespace

TEST_CASE("a begun sign-in is consumed once and a replayed state finds nothing", "[pg][sso]") {
    oidc_db f;
    REQUIRE(ok(f.run(db::create_oidc_login(*f.pool, state_a, "nonce-1", "verifier-1", "browser-1"))));
    auto first = f.run(db::consume_oidc_login(*f.pool, state_a));
    REQUIRE(ok(first));
    REQUIRE(*first);
    CHECK((*first)->nonce == "nonce-1");
    CHECK((*first)->code_verifier == "verifier-1");
    CHECK((*first)->browser_hash == "browser-1");
    CHECK((*first)->fresh);
    auto replay = f.run(db::consume_oidc_login(*f.pool, state_a));
    REQUIRE(ok(replay));
    CHECK_FALSE(*replay);
}

TEST_CASE("a sign-in older than ten minutes is stale and housekeeping deletes it", "[pg][sso]") {
    oidc_db f;
    REQUIRE(ok(f.run(db::create_oidc_login(*f.pool, state_a, "n", "v", "b"))));
    REQUIRE(ok(f.run(db::create_oidc_login(*f.pool, state_b, "n", "v", "b"))));
    f.value("UPDATE oidc_logins SET created_at = now() - interval '11 minutes' WHERE state_hash = '" +
            state_a + "' RETURNING 1");
    auto removed = f.run(db::delete_stale_oidc_logins(*f.pool));
    REQUIRE(ok(removed));
    CHECK(*removed == 1);
    CHECK(f.value("SELECT count(*) FROM oidc_logins") == "1");

    f.value("UPDATE oidc_logins SET created_at = now() - interval '11 minutes' RETURNING 1");
    auto stale = f.run(db::consume_oidc_login(*f.pool, state_b));
    REQUIRE(ok(stale));
    REQUIRE(*stale);
    CHECK_FALSE((*stale)->fresh);
    CHECK(f.value("SELECT count(*) FROM oidc_logins") == "0");
}
