// What the test command (scripts/test) tells the tests about their environment.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

namespace eelchat::test {

// The throwaway PostgreSQL of scripts/test, as a libpq connection string. [pg] tests fail, not skip,
// when it is missing: a suite that silently skipped its database tests would prove nothing.
inline std::string database_url() {
    const char* v = std::getenv("EELCHAT_TEST_DATABASE_URL");
    if (!v || !*v) FAIL("EELCHAT_TEST_DATABASE_URL is not set; run the tests with scripts/test");
    return v;
}

// Runs a shell command the test script exported (e.g. EELCHAT_TEST_PG_STOP); fails the test if it is
// missing or exits non-zero. Blocking: call it from the test thread, never from inside a coroutine.
inline void run_env_command(const char* name) {
    const char* cmd = std::getenv(name);
    if (!cmd || !*cmd) FAIL(name << " is not set; run the tests with scripts/test");
    int rc = std::system(cmd);
    REQUIRE(rc == 0);
}

} // namespace eelchat::test
