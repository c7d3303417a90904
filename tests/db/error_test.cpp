#include "db/error.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/error.hpp>

namespace db = eelchat::db;

TEST_CASE("db errors: errc codes carry the eelchat.db category", "[unit]") {
    boost::system::error_code ec = db::errc::pool_timeout;
    CHECK(ec.category().name() == std::string("eelchat.db"));
    CHECK(ec == db::errc::pool_timeout);
    CHECK(ec != db::errc::timeout);
    CHECK(static_cast<bool>(ec));
    CHECK_FALSE(ec.message().empty());
    CHECK(db::sqlstate_of(ec).empty());
}

TEST_CASE("db errors: a SQLSTATE survives the round trip through an error code", "[unit]") {
    for (std::string state : {"00000", "23505", "22P02", "42P01", "57P01", "ZZZZZ", "08006", "XX000"}) {
        auto ec = db::make_sqlstate_error(state);
        INFO(state);
        CHECK(ec.category().name() == std::string("postgres.sqlstate"));
        CHECK(static_cast<bool>(ec)); // even "00000" must read as an error once it is one
        CHECK(db::sqlstate_of(ec) == state);
    }
    CHECK(db::sqlstate_of(db::make_sqlstate_error("22p02")) == "22P02");
}

TEST_CASE("db errors: named SQLSTATE constants compare equal to what the server sends", "[unit]") {
    CHECK(db::make_sqlstate_error("23505") == db::sqlstate::unique_violation);
    CHECK(db::make_sqlstate_error("23503") == db::sqlstate::foreign_key_violation);
    CHECK(db::make_sqlstate_error("23514") == db::sqlstate::check_violation);
    CHECK(db::make_sqlstate_error("40001") == db::sqlstate::serialization_failure);
    CHECK(db::make_sqlstate_error("42P01") == db::sqlstate::undefined_table);
    CHECK(db::make_sqlstate_error("42601") == db::sqlstate::syntax_error);
    CHECK(db::make_sqlstate_error("57P01") == db::sqlstate::admin_shutdown);
    CHECK(db::make_sqlstate_error("57014") == db::sqlstate::query_canceled);
    CHECK(db::make_sqlstate_error("22P02") == db::sqlstate::invalid_text_representation);
    CHECK(db::make_sqlstate_error("23505") != db::sqlstate::foreign_key_violation);
    // Same number, other category: not equal.
    CHECK(boost::system::error_code(db::errc::connect_failed) != db::make_sqlstate_error("00000"));
}

TEST_CASE("db errors: messages name well-known states", "[unit]") {
    CHECK(db::make_sqlstate_error("23505").message() == "SQLSTATE 23505 (unique_violation)");
    CHECK(db::make_sqlstate_error("57P01").message() == "SQLSTATE 57P01 (admin_shutdown)");
    CHECK(db::make_sqlstate_error("HV00R").message() == "SQLSTATE HV00R");
}

TEST_CASE("db errors: malformed SQLSTATEs are protocol errors, not invented states", "[unit]") {
    for (std::string bad : {"", "2350", "235055", "23 05", "2350!"}) {
        INFO(bad);
        CHECK(db::make_sqlstate_error(bad) == db::errc::protocol_error);
    }
}

TEST_CASE("db errors: connection errors are told apart from query errors", "[unit]") {
    CHECK(db::is_connection_error(db::errc::connect_failed));
    CHECK(db::is_connection_error(db::errc::connection_lost));
    CHECK(db::is_connection_error(db::errc::timeout));
    CHECK(db::is_connection_error(db::errc::pool_timeout));
    CHECK(db::is_connection_error(db::sqlstate::admin_shutdown));
    CHECK(db::is_connection_error(db::make_sqlstate_error("08000")));
    CHECK(db::is_connection_error(db::make_sqlstate_error("08006")));
    CHECK(db::is_connection_error(db::make_sqlstate_error("08P01")));

    CHECK_FALSE(db::is_connection_error(db::errc::protocol_error));
    CHECK_FALSE(db::is_connection_error(db::errc::cancelled));
    CHECK_FALSE(db::is_connection_error(db::sqlstate::unique_violation));
    CHECK_FALSE(db::is_connection_error(db::sqlstate::query_canceled));
    CHECK_FALSE(db::is_connection_error(db::make_sqlstate_error("07000"))); // neighbouring class
    CHECK_FALSE(db::is_connection_error(db::make_sqlstate_error("09000")));
    CHECK_FALSE(db::is_connection_error(boost::system::error_code{}));
    CHECK_FALSE(db::is_connection_error(boost::asio::error::operation_aborted));
}
