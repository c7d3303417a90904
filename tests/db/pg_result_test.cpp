#include "db/pg_result.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

namespace db = eelchat::db;

namespace {

// A result built without a server: columns "id" and "body", rows (1, "hello") and (2, NULL).
db::pg_result sample() {
    PGresult* r = PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK);
    REQUIRE(r);
    char id[] = "id";
    char body[] = "body";
    PGresAttDesc cols[2] = {};
    cols[0].name = id;
    cols[0].typid = 20; // int8
    cols[1].name = body;
    cols[1].typid = 25; // text
    REQUIRE(PQsetResultAttrs(r, 2, cols));
    char one[] = "1", two[] = "2", hello[] = "hello";
    REQUIRE(PQsetvalue(r, 0, 0, one, 1));
    REQUIRE(PQsetvalue(r, 0, 1, hello, 5));
    REQUIRE(PQsetvalue(r, 1, 0, two, 1));
    REQUIRE(PQsetvalue(r, 1, 1, nullptr, -1));
    return db::pg_result(r);
}

} // namespace

TEST_CASE("pg_result: cells, NULLs and columns by name", "[unit]") {
    auto r = sample();
    REQUIRE(r);
    CHECK(r.rows() == 2);
    CHECK(r.columns() == 2);
    CHECK(r.get(0, 0) == "1");
    CHECK(r.get(0, "body") == "hello");
    CHECK_FALSE(r.is_null(0, 1));
    CHECK(r.is_null(1, 1));
    CHECK(r.get(1, 1) == "");
    CHECK(r.get_optional(1, 1) == std::nullopt);
    CHECK(r.get_optional(0, "body") == std::optional<std::string_view>("hello"));
    CHECK(r.column_index("body") == 1);
    CHECK(r.column_index("BODY") == std::nullopt);
    CHECK(r.column_name(0) == "id");
}

TEST_CASE("pg_result: out-of-range access is a bug and throws", "[unit]") {
    auto r = sample();
    CHECK_THROWS_AS(r.get(2, 0), std::out_of_range);
    CHECK_THROWS_AS(r.get(0, 2), std::out_of_range);
    CHECK_THROWS_AS(r.get(-1, 0), std::out_of_range);
    CHECK_THROWS_AS(r.is_null(0, -1), std::out_of_range);
    CHECK_THROWS_AS(r.get(0, "missing"), std::out_of_range);
    CHECK_THROWS_AS(r.column_name(5), std::out_of_range);
}

TEST_CASE("pg_result: moving transfers ownership, and an empty result has nothing", "[unit]") {
    auto r = sample();
    db::pg_result moved = std::move(r);
    CHECK(moved.rows() == 2);
    CHECK_FALSE(r); // NOLINT(bugprone-use-after-move): moved-from state is specified
    db::pg_result empty;
    CHECK(empty.rows() == 0);
    CHECK(empty.columns() == 0);
    CHECK(empty.affected_rows() == 0);
    CHECK(moved.affected_rows() == 0); // no command tag on a synthetic result
}
