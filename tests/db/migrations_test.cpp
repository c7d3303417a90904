#include "db/migrations.hpp"

#include "db/support.hpp"
#include "support/async.hpp"
#include "support/scratch_db.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>

namespace asio = boost::asio;
namespace db = eelchat::db;
namespace embedded = eelchat::embedded;
using namespace std::chrono_literals;
using eelchat::test::failed;
using eelchat::test::in;
using eelchat::test::ok;
using eelchat::test::open_connection;
using eelchat::test::run_async;
using std::chrono::steady_clock;

namespace {

// The pg_sleep widens the window in which two instances would both see "not applied yet".
const embedded::file three[] = {
    {"0001_rooms.sql",
     "SELECT pg_sleep(0.1); CREATE TABLE rooms (id bigint PRIMARY KEY, name text NOT NULL);"},
    {"0002_messages.sql",
     "CREATE TABLE messages (id bigserial PRIMARY KEY, room_id bigint REFERENCES rooms);\n"
     "CREATE INDEX messages_room ON messages (room_id);"},
    {"0003_seed.sql", "INSERT INTO rooms VALUES (1, 'lobby');"},
};

std::vector<db::migration> parsed(std::span<const embedded::file> files) {
    auto r = db::parse_migrations(files);
    REQUIRE(ok(r));
    return *r;
}

asio::awaitable<std::string> scalar(db::connection& c, std::string sql) {
    auto r = co_await c.query(sql, {}, in(2s));
    if (!r) FAIL(sql << ": " << r.error().message());
    co_return std::string(r->get(0, 0));
}

} // namespace

TEST_CASE("migrations: file names give versions and names", "[unit]") {
    auto ms = db::parse_migrations(three);
    REQUIRE(ok(ms));
    REQUIRE(ms->size() == 3);
    CHECK((*ms)[0].version == 1);
    CHECK((*ms)[0].name == "rooms");
    CHECK((*ms)[2].version == 3);
    CHECK((*ms)[2].sql == three[2].content);
    CHECK(db::parse_migrations({})->empty());
}

TEST_CASE("migrations: malformed names are rejected with the file named", "[unit]") {
    for (std::string_view bad : {"0001_rooms.txt", "_rooms.sql", "0001.sql", "0001_.sql", "00a1_rooms.sql",
                                 "0001_two words.sql", "sub/0001_x.sql", "1234567890_big.sql"}) {
        INFO(bad);
        const embedded::file files[] = {{bad, "SELECT 1"}};
        std::string problem;
        auto r = db::parse_migrations(files, &problem);
        REQUIRE(failed(r));
        CHECK(r.error() == db::migration_errc::bad_file_name);
        CHECK(problem == bad);
    }
}

TEST_CASE("migrations: versions must run 1, 2, 3, ... without gaps or duplicates", "[unit]") {
    const embedded::file gap[] = {{"0001_a.sql", ""}, {"0003_c.sql", ""}};
    const embedded::file dup[] = {{"0001_a.sql", ""}, {"0001_b.sql", ""}};
    const embedded::file late_start[] = {{"0002_b.sql", ""}};
    const embedded::file unsorted[] = {{"0002_b.sql", ""}, {"0001_a.sql", ""}};
    const embedded::file zero[] = {{"0000_a.sql", ""}};
    for (auto files : {std::span<const embedded::file>(gap), std::span<const embedded::file>(dup),
                       std::span<const embedded::file>(late_start), std::span<const embedded::file>(unsorted),
                       std::span<const embedded::file>(zero)}) {
        std::string problem;
        auto r = db::parse_migrations(files, &problem);
        REQUIRE(failed(r));
        CHECK(r.error() == db::migration_errc::bad_sequence);
        CHECK_FALSE(problem.empty());
    }
    const embedded::file unpadded[] = {{"1_a.sql", ""}, {"2_b.sql", ""}};
    CHECK(ok(db::parse_migrations(unpadded)));
}

TEST_CASE("migrations: checksums see edits but not line-ending conversions", "[unit]") {
    const auto a = db::migration_checksum("CREATE TABLE a (x int);\n");
    CHECK(a == db::migration_checksum("CREATE TABLE a (x int);\n"));
    CHECK(a == db::migration_checksum("CREATE TABLE a (x int);\r\n"));
    CHECK(a != db::migration_checksum("CREATE TABLE a (x bigint);\n"));
    CHECK(a != db::migration_checksum("CREATE TABLE a (x int); \n"));
    CHECK(a.starts_with("fnv1a64:"));
    CHECK(a.size() == 8 + 16);
}

TEST_CASE("migrations: the embedded migrations are well-formed", "[unit]") {
    std::string problem;
    auto r = db::parse_migrations(embedded::migrations(), &problem);
    INFO(problem);
    REQUIRE(ok(r));
    CHECK(r->size() == embedded::migrations().size());
}

TEST_CASE("migrations: two instances migrating at once apply each migration exactly once", "[pg]") {
    eelchat::test::scratch_db scratch;
    const auto ms = parsed(three);
    asio::io_context ctx;
    // Two connections interleaving on one io_context: as far as the server can tell, two instances.
    // (Not two threads: Catch2 assertions are not thread-safe.)
    auto [first, second] =
        run_async(ctx,
                  [](std::string conninfo, std::span<const db::migration> ms)
                      -> asio::awaitable<std::tuple<db::result<int>, db::result<int>>> {
                      using namespace asio::experimental::awaitable_operators;
                      auto a = co_await open_connection(conninfo);
                      auto b = co_await open_connection(conninfo);
                      co_return co_await (db::apply_migrations(*a, ms, eelchat::logger::null(), in(10s)) &&
                                          db::apply_migrations(*b, ms, eelchat::logger::null(), in(10s)));
                  }(scratch.url(), ms));
    REQUIRE(ok(first));
    REQUIRE(ok(second));
    CHECK(*first + *second == 3);

    run_async(ctx, [](std::string conninfo, std::span<const db::migration> ms) -> asio::awaitable<void> {
        auto c = co_await open_connection(conninfo);
        auto recorded =
            co_await scalar(*c, "SELECT count(*) || '/' || count(DISTINCT version) FROM schema_migrations");
        CHECK(recorded == "3/3");
        auto seeded = co_await scalar(*c, "SELECT name FROM rooms");
        CHECK(seeded == "lobby");
        auto again = co_await db::apply_migrations(*c, ms, eelchat::logger::null(), in(5s));
        REQUIRE(ok(again));
        CHECK(*again == 0);
        CHECK(c->transaction_status() == PQTRANS_IDLE);

        // One more migration later: only that one runs.
        const embedded::file four[] = {
            three[0], three[1], three[2], {"0004_topic.sql", "ALTER TABLE rooms ADD topic text"}};
        auto more = co_await db::apply_migrations(*c, parsed(four), eelchat::logger::null(), in(5s));
        REQUIRE(ok(more));
        CHECK(*more == 1);
    }(scratch.url(), ms));
}

TEST_CASE("migrations: a failing migration rolls everything back", "[pg]") {
    eelchat::test::scratch_db scratch;
    asio::io_context ctx;
    run_async(ctx, [](std::string conninfo) -> asio::awaitable<void> {
        auto c = co_await open_connection(conninfo);
        const embedded::file broken[] = {three[0],
                                         {"0002_broken.sql", "CREATE TABLE half (x int); CREAT TABLE oops;"}};
        auto r = co_await db::apply_migrations(*c, parsed(broken), eelchat::logger::null(), in(5s));
        REQUIRE(failed(r));
        CHECK(r.error() == db::sqlstate::syntax_error);
        CHECK(c->usable());
        CHECK(c->transaction_status() == PQTRANS_IDLE);
        auto no_schema_table = co_await scalar(*c, "SELECT to_regclass('schema_migrations') IS NULL");
        CHECK(no_schema_table == "t");
        auto no_rooms = co_await scalar(*c, "SELECT to_regclass('rooms') IS NULL");
        CHECK(no_rooms == "t");
        auto no_half = co_await scalar(*c, "SELECT to_regclass('half') IS NULL");
        CHECK(no_half == "t");
    }(scratch.url()));
}

TEST_CASE("migrations: an applied migration that was edited is reported, and nothing runs", "[pg]") {
    eelchat::test::scratch_db scratch;
    asio::io_context ctx;
    run_async(ctx, [](std::string conninfo) -> asio::awaitable<void> {
        auto c = co_await open_connection(conninfo);
        const embedded::file v1[] = {three[0]};
        auto first = co_await db::apply_migrations(*c, parsed(v1), eelchat::logger::null(), in(5s));
        REQUIRE(ok(first));

        const embedded::file edited[] = {{"0001_rooms.sql", "CREATE TABLE rooms (id int);"}, three[1]};
        auto r = co_await db::apply_migrations(*c, parsed(edited), eelchat::logger::null(), in(5s));
        REQUIRE(failed(r));
        CHECK(r.error() == db::migration_errc::checksum_mismatch);
        CHECK(c->transaction_status() == PQTRANS_IDLE);
        auto no_messages = co_await scalar(*c, "SELECT to_regclass('messages') IS NULL");
        CHECK(no_messages == "t");
        auto recorded = co_await scalar(*c, "SELECT count(*) FROM schema_migrations");
        CHECK(recorded == "1");
    }(scratch.url()));
}

TEST_CASE("migrations: the embedded migrations apply to an empty database", "[pg]") {
    eelchat::test::scratch_db scratch;
    asio::io_context ctx;
    run_async(ctx, [](std::string conninfo) -> asio::awaitable<void> {
        auto c = co_await open_connection(conninfo);
        auto ms = parsed(embedded::migrations());
        auto r = co_await db::apply_migrations(*c, ms, eelchat::logger::null(), in(10s));
        REQUIRE(ok(r));
        CHECK(*r == static_cast<int>(ms.size()));
    }(scratch.url()));
}
