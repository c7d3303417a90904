#include "db/conninfo.hpp"

#include "db/support.hpp"
#include "support/async.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>

namespace db = eelchat::db;
using namespace std::chrono_literals;
using eelchat::test::failed;
using eelchat::test::ok;

TEST_CASE("conninfo: host and port lists are read from URLs and key=value strings", "[unit]") {
    std::string error;
    auto url = db::parse_targets("postgresql://u:secret@db.example.com:5433/chat", error);
    REQUIRE(url);
    CHECK_FALSE(url->leave_to_libpq);
    REQUIRE(url->targets.size() == 1);
    CHECK(url->targets[0].host == "db.example.com");
    CHECK(url->targets[0].port == "5433");

    auto multi = db::parse_targets("host=a.example,10.0.0.2 port=5432,5433 dbname=x", error);
    REQUIRE(multi);
    REQUIRE(multi->targets.size() == 2);
    CHECK(multi->targets[1].host == "10.0.0.2");
    CHECK(multi->targets[1].port == "5433");

    auto one_port = db::parse_targets("host=a.example,b.example port=6000", error);
    REQUIRE(one_port);
    REQUIRE(one_port->targets.size() == 2);
    CHECK(one_port->targets[1].port == "6000");

    auto v6 = db::parse_targets("postgresql://[::1]:5432/chat", error);
    REQUIRE(v6);
    CHECK(v6->targets.at(0).host == "::1");
}

TEST_CASE("conninfo: addresses given by the user, or lists that do not match, are left to libpq", "[unit]") {
    std::string error;
    auto given = db::parse_targets("host=db.example.com hostaddr=10.1.2.3", error);
    REQUIRE(given);
    CHECK(given->leave_to_libpq);
    auto mismatch = db::parse_targets("host=a,b,c port=1,2", error);
    REQUIRE(mismatch);
    CHECK(mismatch->leave_to_libpq);
}

TEST_CASE("conninfo: an unparsable string is reported with libpq's reason", "[unit]") {
    std::string error;
    CHECK_FALSE(db::parse_targets("no_such_option=1", error));
    CHECK(error.find("no_such_option") != std::string::npos);
    CHECK_FALSE(db::parse_targets("postgresql://host:5432/db?no_such_option=1", error));
}

TEST_CASE("conninfo: only real host names need DNS", "[unit]") {
    CHECK(db::needs_dns("localhost"));
    CHECK(db::needs_dns("db.example.com"));
    CHECK_FALSE(db::needs_dns(""));
    CHECK_FALSE(db::needs_dns("/var/run/postgresql"));
    CHECK_FALSE(db::needs_dns("@abstract"));
    CHECK_FALSE(db::needs_dns("127.0.0.1"));
    CHECK_FALSE(db::needs_dns("::1"));
    CHECK_FALSE(db::needs_dns("fe80::1%lo"));
}

TEST_CASE("conninfo: resolved targets become position-matched libpq lists", "[unit]") {
    const db::resolved_target targets[] = {
        {"db.example.com", "10.0.0.1", "5432"},
        {"db.example.com", "10.0.0.2", "5432"},
        {"/run/pg", "", "5433"},
    };
    auto lists = db::join_targets(targets);
    CHECK(lists.host == "db.example.com,db.example.com,/run/pg");
    CHECK(lists.hostaddr == "10.0.0.1,10.0.0.2,");
    CHECK(lists.port == "5432,5432,5433");

    const db::resolved_target no_port[] = {{"a", "10.0.0.1", ""}};
    CHECK(db::join_targets(no_port).port.empty());
}

TEST_CASE("conninfo: names are resolved into hostaddr, and settings we force come last", "[unit]") {
    boost::asio::io_context ctx;
    auto params = eelchat::test::run_async(
        ctx, db::prepare_connect_params("host=localhost port=6000 application_name=theirs", "ours",
                                        std::chrono::steady_clock::now() + 5s, eelchat::logger::null()));
    REQUIRE(ok(params));
    const auto& k = params->keywords;
    const auto& v = params->values;
    REQUIRE(k.size() == v.size());
    REQUIRE(k.front() == "dbname");
    CHECK(v.front() == "host=localhost port=6000 application_name=theirs");
    auto value_of = [&](std::string_view key) {
        // The last occurrence wins in libpq.
        for (auto i = k.size(); i-- > 0;)
            if (k[i] == key) return v[i];
        return std::string("<absent>");
    };
    CHECK(value_of("application_name") == "ours");
    CHECK(value_of("client_encoding") == "UTF8");
    CHECK(value_of("host").starts_with("localhost"));
    CHECK(value_of("hostaddr").find("127.0.0.1") != std::string::npos);
    CHECK(value_of("port").starts_with("6000"));
}

TEST_CASE("conninfo: an unknown host name is a connect failure, bounded by the deadline", "[unit]") {
    boost::asio::io_context ctx;
    const auto start = std::chrono::steady_clock::now();
    // Without a reachable DNS server the lookup may outlive the deadline: that is the timeout case, and
    // the abandoned lookup is allowed to finish in the background.
    auto params = eelchat::test::run_async(ctx,
                                           db::prepare_connect_params("host=no-such-host.invalid", "eelchat",
                                                                      start + 2s, eelchat::logger::null()),
                                           10s, eelchat::test::leftovers::allow);
    REQUIRE(failed(params));
    CHECK((params.error() == db::errc::connect_failed || params.error() == db::errc::timeout));
    CHECK(std::chrono::steady_clock::now() - start < 3s);
}
