// The address policy that keeps feed fetching away from the server's own networks.
#include "net/address_policy.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace eelchat;

namespace {

bool is_public(const std::string& text) {
    return net::is_public_address(boost::asio::ip::make_address(text));
}

} // namespace

TEST_CASE("public IPv4 addresses are allowed", "[unit][address_policy]") {
    for (const auto* a :
         {"8.8.8.8",        "1.1.1.1",         "93.184.216.34",   "9.255.255.255",  "11.0.0.0",
          "100.63.255.255", "100.128.0.0",     "126.255.255.255", "128.0.0.0",      "169.253.255.255",
          "169.255.0.0",    "172.15.255.255",  "172.32.0.0",      "192.0.1.0",      "192.0.3.0",
          "192.88.98.255",  "192.167.255.255", "192.169.0.0",     "198.17.255.255", "198.20.0.0",
          "198.51.99.255",  "203.0.112.255",   "223.255.255.255"}) {
        INFO(a);
        CHECK(is_public(a));
    }
}

TEST_CASE("non-public IPv4 addresses are refused", "[unit][address_policy]") {
    for (const auto* a :
         {"0.0.0.0",         "0.1.2.3",        "10.0.0.1",       "10.255.255.255",  "100.64.0.1",
          "100.127.255.255", "127.0.0.1",      "127.1.2.3",      "169.254.169.254", "172.16.0.1",
          "172.31.255.255",  "192.0.0.8",      "192.0.2.1",      "192.88.99.1",     "192.168.1.1",
          "198.18.0.1",      "198.19.255.255", "198.51.100.7",   "203.0.113.9",     "224.0.0.1",
          "239.255.255.250", "240.0.0.1",      "255.255.255.255"}) {
        INFO(a);
        CHECK_FALSE(is_public(a));
    }
}

TEST_CASE("public IPv6 addresses are allowed", "[unit][address_policy]") {
    for (const auto* a : {"2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "2001:4860:4860::8888",
                          "2001:200::1", "3ffe:ffff::1", "2003::1", "::ffff:8.8.8.8", "::ffff:0:8.8.8.8",
                          "64:ff9b::808:808", "2002:808:808::1"}) {
        INFO(a);
        CHECK(is_public(a));
    }
}

TEST_CASE("non-public IPv6 addresses are refused", "[unit][address_policy]") {
    for (const auto* a : {"::",
                          "::1",
                          "fe80::1",
                          "febf::1",
                          "fec0::1",
                          "fc00::1",
                          "fd12:3456::1",
                          "ff02::1",
                          "ff0e::1",
                          "2001:db8::1",
                          "2001:db8:ffff::1",
                          "2001::1",
                          "2001:0:4136:e378::1",
                          "2001:1ff::1",
                          "3fff::1",
                          "3fff:fff::1",
                          "100::1",
                          "64:ff9b:1::1",
                          "5f00::1",
                          "4000::1",
                          "1fff::1",
                          "::ffff:0:0"}) {
        INFO(a);
        CHECK_FALSE(is_public(a));
    }
}

TEST_CASE("IPv6 forms that embed an IPv4 address are judged by that address", "[unit][address_policy]") {
    for (const auto* a :
         {"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:192.168.0.1",
          "::127.0.0.1", "::10.1.2.3", "::ffff:0:127.0.0.1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
          "64:ff9b::10.0.0.1", "2002:7f00:1::", "2002:a00:1::1", "2002:c0a8:101::1", "2002::1"}) {
        INFO(a);
        CHECK_FALSE(is_public(a));
    }
    CHECK(is_public("::ffff:93.184.216.34"));
    CHECK(is_public("64:ff9b::5db8:d822"));
    CHECK(is_public("2002:5db8:d822::1"));
}
