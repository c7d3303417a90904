// A throwaway database for one [pg] test: created under a random name on the test server (the one in
// EELCHAT_TEST_DATABASE_URL), dropped WITH (FORCE) when the fixture goes out of scope, so sessions a
// test left behind (a cancelled query still sleeping on the server) cannot keep it alive.
#pragma once

#include "db/connection.hpp"
#include "support/async.hpp"
#include "support/env.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <string>

namespace eelchat::test {

// `conninfo` (a URL or key=value string) with its database replaced, as a key=value string.
inline std::string conninfo_with_dbname(const std::string& conninfo, const std::string& dbname) {
    char* err = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &err);
    if (!options) {
        std::string why = err ? err : "out of memory";
        PQfreemem(err);
        FAIL("cannot parse the test database URL: " << why);
    }
    auto quote = [](std::string_view v) {
        std::string out = "'";
        for (char c : v) {
            if (c == '\'' || c == '\\') out += '\\';
            out += c;
        }
        return out + "'";
    };
    std::string out = "dbname=" + quote(dbname);
    for (auto* o = options; o->keyword; ++o) {
        if (o->val && std::string_view(o->keyword) != "dbname") {
            out += ' ';
            out += o->keyword;
            out += '=';
            out += quote(o->val);
        }
    }
    PQconninfoFree(options);
    return out;
}

class scratch_db {
public:
    scratch_db()
        : admin_(database_url()), name_(random_name()), url_(conninfo_with_dbname(admin_, name_)) {
        boost::asio::io_context ctx;
        auto r = run_async(ctx, admin_execute(admin_, "CREATE DATABASE " + name_));
        if (!r) FAIL("CREATE DATABASE " << name_ << " failed: " << r.error().message());
    }

    ~scratch_db() {
        // No Catch assertions here: a destructor may run while a failed assertion unwinds the test.
        boost::asio::io_context ctx;
        std::optional<db::result<void>> r;
        boost::asio::co_spawn(ctx,
                              admin_execute(admin_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)"),
                              [&](std::exception_ptr, db::result<void> v) { r = v; });
        ctx.run_for(std::chrono::seconds(20));
        if (!r || !*r) std::fprintf(stderr, "warning: could not drop scratch database %s\n", name_.c_str());
    }

    scratch_db(const scratch_db&) = delete;
    scratch_db& operator=(const scratch_db&) = delete;

    const std::string& name() const noexcept { return name_; }
    // Where to connect to the scratch database: a libpq connection string (key=value form).
    const std::string& url() const noexcept { return url_; }

private:
    static std::string random_name() {
        std::random_device rd;
        std::mt19937_64 gen((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
        static constexpr char hex[] = "0123456789abcdef";
        std::string name = "eelchat_test_";
        auto v = gen();
        for (int i = 0; i < 12; ++i, v >>= 4)
            name += hex[v & 0xf];
        return name;
    }

    static boost::asio::awaitable<db::result<void>> admin_execute(std::string admin, std::string sql) {
        auto conn =
            co_await db::connection::connect(admin, "eelchat-tests", std::chrono::seconds(5), logger::null());
        if (!conn) co_return conn.error();
        co_return co_await (*conn)->execute(sql, std::chrono::steady_clock::now() + std::chrono::seconds(15));
    }

    std::string admin_;
    std::string name_;
    std::string url_;
};

} // namespace eelchat::test
