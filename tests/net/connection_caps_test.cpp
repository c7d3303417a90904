// Open-connection counts per key: a cap per key, places given back when the last copy of a ticket goes.
#include "net/connection_caps.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace eelchat;

TEST_CASE("connection_caps: a key holds at most its cap, and a dropped ticket frees its place",
          "[unit][limits]") {
    auto caps = std::make_shared<net::connection_caps>();
    std::vector<net::connection_caps::ticket> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(caps->acquire("user:a", 3));
        CHECK(held.back() != nullptr);
    }
    CHECK(caps->acquire("user:a", 3) == nullptr);
    CHECK(caps->acquire("user:b", 3) != nullptr); // another key has its own places
    auto copy = held[0];
    held[0].reset();
    CHECK(caps->acquire("user:a", 3) == nullptr); // a copy still holds the place
    copy.reset();
    CHECK(caps->count("user:a") == 2);
    CHECK(caps->acquire("user:a", 3) != nullptr);
    CHECK(caps->acquire("anyone", 0) != nullptr); // 0: no cap
}
