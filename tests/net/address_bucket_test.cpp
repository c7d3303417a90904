// The key limits count a client by: IPv4 as is, IPv6 by its /64, IPv4-mapped as IPv4.
#include "net/address_bucket.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;

TEST_CASE("address_bucket: one IPv6 /64 is one client", "[unit][limits]") {
    CHECK(net::address_bucket("192.0.2.7") == "192.0.2.7");
    CHECK(net::address_bucket("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64");
    CHECK(net::address_bucket("2001:db8:1:2:ffff::1") == net::address_bucket("2001:db8:1:2::9"));
    CHECK(net::address_bucket("2001:db8:1:3::1") != net::address_bucket("2001:db8:1:2::1"));
    CHECK(net::address_bucket("::ffff:192.0.2.7") == "192.0.2.7");
    CHECK(net::address_bucket("not an address") == "not an address");
}
