// The push sender's retry schedule (push/sender.hpp): a busy push service is not hammered, and a retry is
// never put off by more than an hour.
#include "push/sender.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;
using std::chrono::seconds;

TEST_CASE("push retries: 10 s, then five times longer each time, at most an hour", "[unit][push]") {
    CHECK(push::retry_delay(1) == seconds(10));
    CHECK(push::retry_delay(2) == seconds(50));
    CHECK(push::retry_delay(3) == seconds(250));
    CHECK(push::retry_delay(4) == seconds(1250));
    CHECK(push::retry_delay(5) == seconds(3600));
    CHECK(push::retry_delay(100) == seconds(3600));
}
