// Which addresses the feed fetcher may connect to. Anyone who can create a community can make the server
// fetch a URL, so every address a feed host resolves to must be a public unicast address: never the
// server itself, its private networks, link-local services (cloud metadata at 169.254.169.254) or ranges
// that are not routed on the internet.
#pragma once

#include <boost/asio/ip/address.hpp>

namespace eelchat::net {

// False for: unspecified, loopback, private (10/8, 172.16/12, 192.168/16), shared CGNAT (100.64/10), "this
// network" (0/8), link-local (169.254/16), IETF protocol assignments (192.0.0/24), documentation
// (192.0.2/24, 198.51.100/24, 203.0.113/24), benchmarking (198.18/15), the 6to4 relay anycast
// (192.88.99/24), multicast (224/4) and reserved (240/4, which includes broadcast).
// For IPv6 only global unicast (2000::/3) can be public, minus IETF protocol assignments (2001::/23, which
// includes Teredo), documentation (2001:db8::/32, 3fff::/20) and 6to4 (2002::/16) whose embedded IPv4
// address is not public. IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), IPv4-translated
// (::ffff:0:a.b.c.d) and NAT64 (64:ff9b::/96) addresses are judged by their embedded IPv4 address; the
// local-use NAT64 prefix 64:ff9b:1::/48, unique-local (fc00::/7), link-local (fe80::/10), site-local
// (fec0::/10) and multicast (ff00::/8) are never public.
bool is_public_address(const boost::asio::ip::address& address) noexcept;
bool is_public_address(const boost::asio::ip::address_v4& address) noexcept;
bool is_public_address(const boost::asio::ip::address_v6& address) noexcept;

} // namespace eelchat::net
