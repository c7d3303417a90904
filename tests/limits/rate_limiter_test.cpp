// The posting buckets: a burst of a third of a minute's allowance, then one token per 60/N seconds; keys
// are independent; memory stays bounded however many keys a client invents.
#include "limits/rate_limiter.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;
using namespace std::chrono_literals;

TEST_CASE("rate_limiter: a burst of a third of the minute's allowance, then the steady rate",
          "[unit][limits]") {
    limits::rate_limiter l(60); // one a second, bursts of 20
    const auto t0 = limits::rate_limiter::clock::now();
    for (int i = 0; i < 20; ++i)
        CHECK(l.take("u", t0).allowed);
    auto refused = l.take("u", t0);
    CHECK_FALSE(refused.allowed);
    CHECK(refused.retry_after == 1s);
    CHECK(l.take("other", t0).allowed); // keys are independent
    CHECK(l.take("u", t0 + 1s).allowed);
    CHECK_FALSE(l.take("u", t0 + 1s).allowed);
    // A long pause refills to the burst, not beyond.
    for (int i = 0; i < 20; ++i)
        CHECK(l.take("u", t0 + 1h).allowed);
    CHECK_FALSE(l.take("u", t0 + 1h).allowed);
}

TEST_CASE("rate_limiter: 0 is no limit", "[unit][limits]") {
    limits::rate_limiter l(0);
    for (int i = 0; i < 1000; ++i)
        CHECK(l.take("u").allowed);
    CHECK(l.size() == 0);
}

TEST_CASE("rate_limiter: at most max_keys buckets, and refilled ones make room", "[unit][limits]") {
    limits::rate_limiter l(60, 100);
    const auto t0 = limits::rate_limiter::clock::now();
    for (int i = 0; i < 1000; ++i)
        l.take("k" + std::to_string(i), t0);
    CHECK(l.size() <= 100);
    // Later every bucket has refilled: new keys find room again and are counted.
    for (int i = 0; i < 21; ++i)
        l.take("late", t0 + 1min);
    CHECK_FALSE(l.take("late", t0 + 1min).allowed);
    CHECK(l.size() <= 100);
}
