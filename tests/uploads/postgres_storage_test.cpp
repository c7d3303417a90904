// The PostgreSQL storage backend (uploads/postgres_storage.hpp, migration 0011) on a scratch database,
// with chunks of 7 bytes so that every append and read meets chunk boundaries: the bytes round trip,
// reads stop at chunk ends, refusals and aborts leave no row, unfinished blobs cannot be read, ids never
// reach a query unless they are UUIDs, and housekeeping removes only old incomplete blobs.
#include "uploads/postgres_storage.hpp"

#include "core/log.hpp"
#include "db/pool.hpp"
#include "support/app_server.hpp"
#include "uploads/storage_checks.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>

using namespace eelchat;
namespace asio = boost::asio;
namespace errc = boost::system::errc;
using test::failed;
using test::ok;

namespace {

constexpr int small_chunk = 7;

struct pg_fixture {
    test::scratch_db db;
    asio::io_context ctx;
    std::unique_ptr<db::pool> pool;
    std::unique_ptr<uploads::postgres_storage> storage;

    pg_fixture() {
        test::apply_all_migrations(db.url());
        db::pool_config pc;
        pc.conninfo = db.url();
        pc.max_size = 2;
        pool = std::make_unique<db::pool>(ctx.get_executor(), pc, logger::null());
        storage = std::make_unique<uploads::postgres_storage>(*pool, small_chunk);
    }
    ~pg_fixture() { pool->close(); }

    template <class T> T run(asio::awaitable<T> op) { return test::run_async(ctx, std::move(op)); }
    std::string value(const std::string& q) { return test::sql_value(db.url(), q); }
    std::string blobs() { return value("SELECT count(*) FROM upload_blobs"); }
    std::string chunks() { return value("SELECT count(*) FROM upload_chunks"); }
};

} // namespace

TEST_CASE("postgres storage round trips bytes appended across chunk boundaries", "[pg][uploads]") {
    pg_fixture f;
    // 6 full chunks and 3 bytes, in appends shorter than, equal to and longer than a chunk.
    const auto data = test::blob_bytes(6 * small_chunk + 3);
    auto info = f.run(test::write_blob(*f.storage, data, {1, 3, 0, 7, 11, 2, 20}));
    test::check_info(info, data);
    CHECK(f.chunks() == "7");
    CHECK(f.value("SELECT size || ' ' || sha256 || ' ' || complete FROM upload_blobs") ==
          std::to_string(data.size()) + " " + info.sha256 + " true");
    f.run(test::check_reads(*f.storage, info.id, data, small_chunk));

    // A blob of whole chunks only, and an empty one.
    const auto whole = test::blob_bytes(3 * small_chunk);
    auto whole_info = f.run(test::write_blob(*f.storage, whole, {small_chunk}));
    test::check_info(whole_info, whole);
    f.run(test::check_reads(*f.storage, whole_info.id, whole, small_chunk));
    auto empty_info = f.run(test::write_blob(*f.storage, "", {1}));
    test::check_info(empty_info, "");
    f.run(test::check_reads(*f.storage, empty_info.id, "", small_chunk));
    CHECK(f.chunks() == "10");
}

TEST_CASE("postgres storage with the default chunk size", "[pg][uploads]") {
    pg_fixture f;
    uploads::postgres_storage storage(*f.pool);
    const auto data = test::blob_bytes(uploads::default_chunk_size + 12345);
    auto info = f.run(test::write_blob(storage, data, {100'000, 1, 65536}));
    test::check_info(info, data);
    CHECK(f.chunks() == "2");
    f.run([&]() -> asio::awaitable<void> {
        auto opened = co_await storage.open(info.id);
        REQUIRE(ok(opened));
        auto first = co_await (*opened)->read(0, data.size());
        REQUIRE(ok(first));
        CHECK(*first == data.substr(0, uploads::default_chunk_size));
        const auto at = static_cast<std::int64_t>(uploads::default_chunk_size - 1);
        auto edge = co_await (*opened)->read(at, 100);
        REQUIRE(ok(edge));
        CHECK(*edge == data.substr(uploads::default_chunk_size - 1, 1));
        auto rest = co_await (*opened)->read(at + 1, data.size());
        REQUIRE(ok(rest));
        CHECK(*rest == data.substr(uploads::default_chunk_size));
    }());
}

TEST_CASE("postgres storage does not let anyone read an unfinished blob", "[pg][uploads]") {
    pg_fixture f;
    f.run([&]() -> asio::awaitable<void> {
        auto begun = co_await f.storage->begin(100);
        REQUIRE(ok(begun));
        auto appended = co_await (*begun)->append("more than one chunk");
        REQUIRE(ok(appended));
        const auto id = f.value("SELECT id FROM upload_blobs");
        auto early = co_await f.storage->open(id);
        REQUIRE(failed(early));
        CHECK(early.error() == errc::no_such_file_or_directory);
        auto info = co_await (*begun)->finish();
        REQUIRE(ok(info));
        CHECK(info->id == id);
        auto late = co_await f.storage->open(id);
        CHECK(ok(late));
        auto again = co_await (*begun)->append("x");
        CHECK(again.error() == errc::operation_not_permitted);
        auto twice = co_await (*begun)->finish();
        CHECK(twice.error() == errc::operation_not_permitted);
        auto aborted = co_await (*begun)->abort();
        CHECK(aborted.error() == errc::operation_not_permitted);
    }());
}

TEST_CASE("postgres storage refuses a blob beyond max_bytes and keeps nothing", "[pg][uploads]") {
    pg_fixture f;
    f.run([&]() -> asio::awaitable<void> {
        auto exact = co_await f.storage->begin(10);
        REQUIRE(ok(exact));
        auto ten = co_await (*exact)->append("0123456789");
        REQUIRE(ok(ten));
        auto info = co_await (*exact)->finish();
        REQUIRE(ok(info));
        CHECK(info->size == 10);
        auto removed = co_await f.storage->remove(info->id);
        REQUIRE(ok(removed));

        auto begun = co_await f.storage->begin(10);
        REQUIRE(ok(begun));
        auto eight = co_await (*begun)->append("01234567"); // one chunk stored already
        REQUIRE(ok(eight));
        CHECK(f.chunks() == "1");
        auto three = co_await (*begun)->append("89a");
        REQUIRE(failed(three));
        CHECK(three.error() == errc::file_too_large);
        CHECK(f.blobs() == "0");
        CHECK(f.chunks() == "0");
        auto more = co_await (*begun)->append("x");
        CHECK(more.error() == errc::operation_not_permitted);
        auto finished = co_await (*begun)->finish();
        CHECK(finished.error() == errc::operation_not_permitted);
        auto aborted = co_await (*begun)->abort();
        CHECK(ok(aborted));
    }());
}

TEST_CASE("postgres storage abort removes, an abandoned writer leaves an unreadable row", "[pg][uploads]") {
    pg_fixture f;
    f.run([&]() -> asio::awaitable<void> {
        auto begun = co_await f.storage->begin(1000);
        REQUIRE(ok(begun));
        const auto bytes = test::blob_bytes(30);
        auto appended = co_await (*begun)->append(bytes);
        REQUIRE(ok(appended));
        CHECK(f.chunks() == "4");
        auto aborted = co_await (*begun)->abort();
        REQUIRE(ok(aborted));
        CHECK(f.blobs() == "0");
        CHECK(f.chunks() == "0");
        auto again = co_await (*begun)->abort();
        CHECK(ok(again));
        auto finished = co_await (*begun)->finish();
        CHECK(finished.error() == errc::operation_not_permitted);

        auto abandoned = co_await f.storage->begin(1000);
        REQUIRE(ok(abandoned));
        auto some = co_await (*abandoned)->append("half a file");
        REQUIRE(ok(some));
        abandoned->reset();
        const auto id = f.value("SELECT id FROM upload_blobs WHERE NOT complete");
        auto opened = co_await f.storage->open(id);
        CHECK(opened.error() == errc::no_such_file_or_directory);
        // Housekeeping with no grace period takes it.
        auto removed = co_await f.storage->remove_incomplete(std::chrono::seconds(0));
        REQUIRE(ok(removed));
        CHECK(*removed == 1);
        CHECK(f.blobs() == "0");
        CHECK(f.chunks() == "0");
    }());
}

TEST_CASE("postgres storage removes a blob once", "[pg][uploads]") {
    pg_fixture f;
    auto info = f.run(test::write_blob(*f.storage, test::blob_bytes(50), {9}));
    f.run([&]() -> asio::awaitable<void> {
        auto opened = co_await f.storage->open(info.id);
        REQUIRE(ok(opened));
        auto first = co_await f.storage->remove(info.id);
        REQUIRE(ok(first));
        CHECK(*first);
        auto second = co_await f.storage->remove(info.id);
        REQUIRE(ok(second));
        CHECK(!*second);
        auto reopened = co_await f.storage->open(info.id);
        REQUIRE(failed(reopened));
        CHECK(reopened.error() == errc::no_such_file_or_directory);
        // A reader opened before the removal fails rather than inventing bytes.
        auto stale = co_await (*opened)->read(0, 10);
        CHECK(failed(stale));
    }());
    CHECK(f.chunks() == "0");
}

TEST_CASE("postgres storage refuses malformed and path-like ids", "[pg][uploads]") {
    pg_fixture f;
    auto info = f.run(test::write_blob(*f.storage, "bytes", {5}));
    f.run(test::check_bad_ids(*f.storage, info.id));
    CHECK(f.blobs() == "1");
}

TEST_CASE("postgres storage housekeeping removes only old incomplete blobs", "[pg][uploads]") {
    pg_fixture f;
    auto complete = f.run(test::write_blob(*f.storage, "kept", {4}));
    f.run([&]() -> asio::awaitable<void> {
        auto old_writer = co_await f.storage->begin(100);
        REQUIRE(ok(old_writer));
        auto a = co_await (*old_writer)->append("old bytes, a chunk and more");
        REQUIRE(ok(a));
        const auto old_id = f.value("SELECT id FROM upload_blobs WHERE NOT complete");
        auto new_writer = co_await f.storage->begin(100);
        REQUIRE(ok(new_writer));
        auto b = co_await (*new_writer)->append("new");
        REQUIRE(ok(b));

        test::sql_exec(f.db.url(),
                       "UPDATE upload_blobs SET created_at = now() - interval '2 days' WHERE id = '" +
                           old_id + "' OR id = '" + complete.id + "'");
        auto removed = co_await f.storage->remove_incomplete(uploads::incomplete_blob_lifetime);
        REQUIRE(ok(removed));
        CHECK(*removed == 1);
        CHECK(f.value("SELECT count(*) FROM upload_blobs WHERE id = '" + old_id + "'") == "0");
        CHECK(f.blobs() == "2");

        // The write whose row went cannot finish; the other one can, and the old complete blob stays.
        auto lost = co_await (*old_writer)->finish();
        CHECK(failed(lost));
        auto kept = co_await (*new_writer)->finish();
        REQUIRE(ok(kept));
        auto opened = co_await f.storage->open(complete.id);
        CHECK(ok(opened));
        auto none = co_await f.storage->remove_incomplete(std::chrono::seconds(0));
        REQUIRE(ok(none));
        CHECK(*none == 0);
    }());
}
