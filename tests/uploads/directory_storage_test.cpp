// The directory storage backend (uploads/directory_storage.hpp) in a scratch directory under /tmp: the
// bytes round trip, part files with mode 0600 renamed on finish, refusals and aborts that leave nothing,
// ids that cannot reach a path, housekeeping by modification time, and completion on the caller's thread
// while the file work runs on the file threads.
#include "uploads/directory_storage.hpp"

#include "core/log.hpp"
#include "db/pool.hpp"
#include "uploads/postgres_storage.hpp"
#include "uploads/storage_checks.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

using namespace eelchat;
namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace errc = boost::system::errc;
using test::failed;
using test::ok;

namespace {

// A fresh directory under /tmp, deleted with everything in it at the end of the test.
struct scratch_dir {
    fs::path path;
    scratch_dir() {
        std::random_device rd;
        path = fs::temp_directory_path() / ("eelchat-uploads-" + std::to_string(rd()) + std::to_string(rd()));
        fs::create_directory(path);
    }
    ~scratch_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& e : fs::directory_iterator(path))
            out.push_back(e.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }
};

struct dir_fixture {
    scratch_dir dir;
    asio::io_context ctx;
    std::shared_ptr<asio::thread_pool> threads = uploads::make_file_threads(2);
    uploads::directory_storage storage{dir.path, threads};

    template <class T> T run(asio::awaitable<T> op) { return test::run_async(ctx, std::move(op)); }

    // The part files in the directory (an unfinished write's).
    std::vector<std::string> parts() const {
        std::vector<std::string> out;
        for (auto& n : dir.names())
            if (n.ends_with(".part")) out.push_back(n);
        return out;
    }
    // Waits (a little) for the file threads to have done what a destructor posted there.
    bool eventually_empty() const {
        for (int i = 0; i < 200; ++i) {
            if (fs::is_empty(dir.path)) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }
};

int mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return static_cast<int>(st.st_mode & 07777);
}

} // namespace

TEST_CASE("directory storage round trips bytes appended in odd pieces", "[unit][uploads]") {
    dir_fixture f;
    const auto data = test::blob_bytes(uploads::directory_read_chunk + 100'003);
    auto info = f.run(test::write_blob(f.storage, data, {1, 4095, 0, 7, 65537, 3}));
    test::check_info(info, data);
    // One complete file, named by the id only, readable by its owner only.
    CHECK(f.dir.names() == std::vector<std::string>{info.id});
    CHECK(mode_of(f.dir.path / info.id) == 0600);
    CHECK(fs::file_size(f.dir.path / info.id) == data.size());

    const auto small = test::blob_bytes(23);
    auto small_info = f.run(test::write_blob(f.storage, small, {2, 5}));
    test::check_info(small_info, small);
    f.run(test::check_reads(f.storage, small_info.id, small, 0));

    // The big one in a loop of reads, at offsets near its end too.
    f.run([&]() -> asio::awaitable<void> {
        auto opened = co_await f.storage.open(info.id);
        REQUIRE(ok(opened));
        std::string whole;
        while (whole.size() < data.size()) {
            auto got = co_await (*opened)->read(static_cast<std::int64_t>(whole.size()), 10'000);
            REQUIRE(ok(got));
            REQUIRE(!got->empty());
            whole += *got;
        }
        CHECK(whole == data);
        // However much is asked, one read allocates at most directory_read_chunk bytes.
        auto huge = co_await (*opened)->read(1, static_cast<std::size_t>(-1));
        REQUIRE(ok(huge));
        CHECK(*huge == data.substr(1, uploads::directory_read_chunk));
        auto last = co_await (*opened)->read(static_cast<std::int64_t>(data.size()) - 1, 10);
        REQUIRE(ok(last));
        CHECK(*last == data.substr(data.size() - 1));
        auto past = co_await (*opened)->read(static_cast<std::int64_t>(data.size()), 10);
        REQUIRE(ok(past));
        CHECK(past->empty());
    }());
}

TEST_CASE("directory storage stores an empty blob", "[unit][uploads]") {
    dir_fixture f;
    auto info = f.run(test::write_blob(f.storage, "", {1}));
    test::check_info(info, "");
    f.run(test::check_reads(f.storage, info.id, "", 0));
}

TEST_CASE("directory storage writes a part file that nobody can open until finish", "[unit][uploads]") {
    dir_fixture f;
    f.run([&]() -> asio::awaitable<void> {
        auto begun = co_await f.storage.begin(100);
        REQUIRE(ok(begun));
        auto appended = co_await (*begun)->append("some bytes");
        REQUIRE(ok(appended));
        auto parts = f.parts();
        REQUIRE(parts.size() == 1);
        CHECK(mode_of(f.dir.path / parts[0]) == 0600);
        const auto id = parts[0].substr(1, 36);
        auto early = co_await f.storage.open(id);
        REQUIRE(failed(early));
        CHECK(early.error() == errc::no_such_file_or_directory);
        auto info = co_await (*begun)->finish();
        REQUIRE(ok(info));
        CHECK(info->id == id);
        CHECK(f.dir.names() == std::vector<std::string>{id});
        auto late = co_await f.storage.open(id);
        CHECK(ok(late));
        // Done is done.
        auto again = co_await (*begun)->append("x");
        CHECK(again.error() == errc::operation_not_permitted);
        auto twice = co_await (*begun)->finish();
        CHECK(twice.error() == errc::operation_not_permitted);
        auto aborted = co_await (*begun)->abort();
        CHECK(aborted.error() == errc::operation_not_permitted);
    }());
}

TEST_CASE("directory storage refuses a blob beyond max_bytes and keeps nothing", "[unit][uploads]") {
    dir_fixture f;
    f.run([&]() -> asio::awaitable<void> {
        auto exact = co_await f.storage.begin(10);
        REQUIRE(ok(exact));
        auto ten = co_await (*exact)->append("0123456789");
        REQUIRE(ok(ten));
        auto empty = co_await (*exact)->append("");
        REQUIRE(ok(empty));
        auto info = co_await (*exact)->finish();
        REQUIRE(ok(info));
        CHECK(info->size == 10);
        auto removed = co_await f.storage.remove(info->id);
        REQUIRE(ok(removed));

        auto begun = co_await f.storage.begin(10);
        REQUIRE(ok(begun));
        auto six = co_await (*begun)->append("012345");
        REQUIRE(ok(six));
        auto five = co_await (*begun)->append("6789a");
        REQUIRE(failed(five));
        CHECK(five.error() == errc::file_too_large);
        CHECK(fs::is_empty(f.dir.path));
        auto more = co_await (*begun)->append("x");
        CHECK(more.error() == errc::operation_not_permitted);
        auto finished = co_await (*begun)->finish();
        CHECK(finished.error() == errc::operation_not_permitted);
        auto aborted = co_await (*begun)->abort();
        CHECK(ok(aborted));
    }());
    CHECK(fs::is_empty(f.dir.path));
}

TEST_CASE("directory storage abort and an abandoned writer remove the part file", "[unit][uploads]") {
    dir_fixture f;
    f.run([&]() -> asio::awaitable<void> {
        auto begun = co_await f.storage.begin(1000);
        REQUIRE(ok(begun));
        const auto bytes = test::blob_bytes(300);
        auto appended = co_await (*begun)->append(bytes);
        REQUIRE(ok(appended));
        REQUIRE(f.parts().size() == 1);
        auto aborted = co_await (*begun)->abort();
        REQUIRE(ok(aborted));
        CHECK(fs::is_empty(f.dir.path));
        auto again = co_await (*begun)->abort();
        CHECK(ok(again));
        auto finished = co_await (*begun)->finish();
        CHECK(finished.error() == errc::operation_not_permitted);

        auto abandoned = co_await f.storage.begin(1000);
        REQUIRE(ok(abandoned));
        auto some = co_await (*abandoned)->append("half a file");
        REQUIRE(ok(some));
        REQUIRE(f.parts().size() == 1);
        abandoned->reset();
    }());
    CHECK(f.eventually_empty());
}

TEST_CASE("directory storage removes a blob once", "[unit][uploads]") {
    dir_fixture f;
    const auto data = test::blob_bytes(50);
    auto info = f.run(test::write_blob(f.storage, data, {9}));
    f.run([&]() -> asio::awaitable<void> {
        auto first = co_await f.storage.remove(info.id);
        REQUIRE(ok(first));
        CHECK(*first);
        auto second = co_await f.storage.remove(info.id);
        REQUIRE(ok(second));
        CHECK(!*second);
        auto opened = co_await f.storage.open(info.id);
        REQUIRE(failed(opened));
        CHECK(opened.error() == errc::no_such_file_or_directory);
    }());
    CHECK(fs::is_empty(f.dir.path));
}

TEST_CASE("directory storage refuses malformed and path-like ids", "[unit][uploads]") {
    dir_fixture f;
    auto info = f.run(test::write_blob(f.storage, "bytes", {5}));
    // Files a path-like id could reach if it were ever joined to the directory.
    { std::ofstream(f.dir.path / "notauuid") << "x"; }
    { std::ofstream(f.dir.path.parent_path() / ("x-" + f.dir.path.filename().string())) << "x"; }
    f.run(test::check_bad_ids(f.storage, info.id));
    f.run([&]() -> asio::awaitable<void> {
        auto plain = co_await f.storage.open("notauuid");
        CHECK(plain.error() == errc::no_such_file_or_directory);
        auto removed = co_await f.storage.remove("notauuid");
        CHECK(ok(removed));
    }());
    CHECK(fs::exists(f.dir.path / "notauuid"));
    CHECK(fs::exists(f.dir.path / info.id));
    fs::remove(f.dir.path.parent_path() / ("x-" + f.dir.path.filename().string()));
}

TEST_CASE("directory storage housekeeping removes only old part files", "[unit][uploads]") {
    dir_fixture f;
    auto complete = f.run(test::write_blob(f.storage, "kept", {4}));
    { std::ofstream(f.dir.path / "README") << "not ours"; }
    f.run([&]() -> asio::awaitable<void> {
        auto old_writer = co_await f.storage.begin(100);
        REQUIRE(ok(old_writer));
        auto a = co_await (*old_writer)->append("old");
        REQUIRE(ok(a));
        const auto old_part = f.parts().at(0);
        auto new_writer = co_await f.storage.begin(100);
        REQUIRE(ok(new_writer));
        auto b = co_await (*new_writer)->append("new");
        REQUIRE(ok(b));

        const auto two_days_ago = fs::file_time_type::clock::now() - std::chrono::hours(48);
        fs::last_write_time(f.dir.path / old_part, two_days_ago);
        fs::last_write_time(f.dir.path / complete.id, two_days_ago);
        fs::last_write_time(f.dir.path / "README", two_days_ago);

        auto removed = co_await f.storage.remove_incomplete(uploads::incomplete_blob_lifetime);
        REQUIRE(ok(removed));
        CHECK(*removed == 1);
        CHECK(!fs::exists(f.dir.path / old_part));
        CHECK(f.parts().size() == 1);
        CHECK(fs::exists(f.dir.path / complete.id));
        CHECK(fs::exists(f.dir.path / "README"));

        // The write whose part file went cannot finish; the other one can.
        auto lost = co_await (*old_writer)->finish();
        CHECK(failed(lost));
        auto kept = co_await (*new_writer)->finish();
        REQUIRE(ok(kept));
        auto opened = co_await f.storage.open(kept->id);
        CHECK(ok(opened));
        auto none = co_await f.storage.remove_incomplete(std::chrono::seconds(0));
        REQUIRE(ok(none));
        CHECK(*none == 0);
    }());
}

TEST_CASE("directory storage does its file work off the caller's thread and resumes on it",
          "[unit][uploads]") {
    dir_fixture f;
    const auto caller = std::this_thread::get_id();
    f.run([&]() -> asio::awaitable<void> {
        auto begun = co_await f.storage.begin(100);
        REQUIRE(ok(begun));
        CHECK(std::this_thread::get_id() == caller);
        auto appended = co_await (*begun)->append("abc");
        REQUIRE(ok(appended));
        CHECK(std::this_thread::get_id() == caller);
        auto info = co_await (*begun)->finish();
        REQUIRE(ok(info));
        CHECK(std::this_thread::get_id() == caller);
        auto opened = co_await f.storage.open(info->id);
        REQUIRE(ok(opened));
        CHECK(std::this_thread::get_id() == caller);
        auto got = co_await (*opened)->read(0, 10);
        REQUIRE(ok(got));
        CHECK(*got == "abc");
        CHECK(std::this_thread::get_id() == caller);
    }());
}

TEST_CASE("make_storage picks the backend by UPLOADS_DIR", "[unit][uploads]") {
    dir_fixture f;
    asio::io_context ctx;
    db::pool_config pc;
    pc.conninfo = "host=127.0.0.1 port=1"; // never connected to: choosing a backend queries nothing
    db::pool pool(ctx.get_executor(), pc, logger::null());
    auto by_dir = uploads::make_storage(f.dir.path.string(), pool, f.threads);
    CHECK(dynamic_cast<uploads::directory_storage*>(by_dir.get()) != nullptr);
    auto by_db = uploads::make_storage("", pool, f.threads);
    CHECK(dynamic_cast<uploads::postgres_storage*>(by_db.get()) != nullptr);
    pool.close();
}
