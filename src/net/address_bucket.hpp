// The key by which limits count a client address. An IPv4 address is one client; an IPv6 client
// usually gets a whole /64 from its provider, so counting single IPv6 addresses would hand one client
// 2^64 allowances: IPv6 addresses count by their /64 prefix. IPv4-mapped IPv6 addresses count as IPv4.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <string>
#include <string_view>

namespace eelchat::net {

// "192.0.2.7", or "2001:db8:1:2::/64".
std::string address_bucket(const boost::asio::ip::address& address);

// The same for an address in text (from X-Forwarded-For); text that is not an address is its own key.
std::string address_bucket(std::string_view address);

} // namespace eelchat::net
