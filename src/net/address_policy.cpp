#include "net/address_policy.hpp"

#include <array>
#include <cstdint>

namespace eelchat::net {

namespace {

struct v4_range {
    std::uint32_t network;
    int prefix;
};

constexpr std::uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d) {
    return a << 24 | b << 16 | c << 8 | d;
}

constexpr std::array<v4_range, 15> non_public_v4{{
    {v4(0, 0, 0, 0), 8},       // "this network"
    {v4(10, 0, 0, 0), 8},      // private
    {v4(100, 64, 0, 0), 10},   // shared address space (carrier-grade NAT)
    {v4(127, 0, 0, 0), 8},     // loopback
    {v4(169, 254, 0, 0), 16},  // link-local, cloud metadata services
    {v4(172, 16, 0, 0), 12},   // private
    {v4(192, 0, 0, 0), 24},    // IETF protocol assignments
    {v4(192, 0, 2, 0), 24},    // documentation (TEST-NET-1)
    {v4(192, 88, 99, 0), 24},  // 6to4 relay anycast
    {v4(192, 168, 0, 0), 16},  // private
    {v4(198, 18, 0, 0), 15},   // benchmarking
    {v4(198, 51, 100, 0), 24}, // documentation (TEST-NET-2)
    {v4(203, 0, 113, 0), 24},  // documentation (TEST-NET-3)
    {v4(224, 0, 0, 0), 4},     // multicast
    {v4(240, 0, 0, 0), 4},     // reserved, and 255.255.255.255
}};

bool in_v4(std::uint32_t a, const v4_range& r) {
    const std::uint32_t mask = r.prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - r.prefix);
    return (a & mask) == r.network;
}

using v6_bytes = boost::asio::ip::address_v6::bytes_type;

// Whether the first `prefix` bits of `a` equal those of `network`.
bool in_v6(const v6_bytes& a, const v6_bytes& network, int prefix) {
    for (int i = 0; prefix > 0; ++i, prefix -= 8) {
        const unsigned mask = prefix >= 8 ? 0xffu : (0xffu << (8 - prefix)) & 0xffu;
        if ((a[i] & mask) != (network[i] & mask)) return false;
    }
    return true;
}

constexpr v6_bytes v6(std::initializer_list<std::uint16_t> groups) {
    v6_bytes b{};
    std::size_t i = 0;
    for (auto g : groups) {
        b[i++] = static_cast<unsigned char>(g >> 8);
        b[i++] = static_cast<unsigned char>(g & 0xff);
    }
    return b;
}

bool embedded_v4_public(const v6_bytes& b, std::size_t offset) {
    const boost::asio::ip::address_v4::bytes_type four{b[offset], b[offset + 1], b[offset + 2],
                                                       b[offset + 3]};
    return is_public_address(boost::asio::ip::address_v4(four));
}

} // namespace

bool is_public_address(const boost::asio::ip::address_v4& address) noexcept {
    const std::uint32_t a = address.to_uint();
    for (const auto& r : non_public_v4)
        if (in_v4(a, r)) return false;
    return true;
}

bool is_public_address(const boost::asio::ip::address_v6& address) noexcept {
    const v6_bytes b = address.to_bytes();
    // Forms that carry an IPv4 address in their last 32 bits: a connection to one reaches that address.
    if (in_v6(b, v6({0, 0, 0, 0, 0, 0}), 96)) return embedded_v4_public(b, 12);         // ::a.b.c.d, ::, ::1
    if (in_v6(b, v6({0, 0, 0, 0, 0, 0xffff}), 96)) return embedded_v4_public(b, 12);    // ::ffff:a.b.c.d
    if (in_v6(b, v6({0, 0, 0, 0, 0xffff, 0}), 96)) return embedded_v4_public(b, 12);    // ::ffff:0:a.b.c.d
    if (in_v6(b, v6({0x64, 0xff9b, 0, 0, 0, 0}), 96)) return embedded_v4_public(b, 12); // NAT64
    if (in_v6(b, v6({0x2002}), 16)) return embedded_v4_public(b, 2);                    // 6to4
    // Everything else must be global unicast, outside the special-purpose blocks inside it.
    if (!in_v6(b, v6({0x2000}), 3)) return false;    // includes 64:ff9b:1::/48, fc00::/7, fe80::/10, ff00::/8
    if (in_v6(b, v6({0x2001, 0}), 23)) return false; // IETF protocol assignments, Teredo, ORCHID
    if (in_v6(b, v6({0x2001, 0x0db8}), 32)) return false; // documentation
    if (in_v6(b, v6({0x3fff, 0}), 20)) return false;      // documentation (RFC 9637)
    return true;
}

bool is_public_address(const boost::asio::ip::address& address) noexcept {
    return address.is_v4() ? is_public_address(address.to_v4()) : is_public_address(address.to_v6());
}

} // namespace eelchat::net
