// A browser's push subscription as the page sends it (PushSubscription.toJSON()), checked before it is
// stored: where the push service is, and the keys its messages are encrypted to.
#pragma once

#include "net/url.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include <optional>

#include <string>
#include <string_view>

namespace eelchat::push {

struct subscription {
    std::string endpoint; // as sent (the push service treats it as opaque)
    net::url where;       // the endpoint parsed: its origin is the VAPID audience
    std::string p256dh;   // base64url of the 65-byte P-256 point, as sent
    std::string auth;     // base64url of the 16-byte secret, as sent
};

// The push service origin ("https://push.example.net"): the "aud" of the VAPID token (RFC 8292 2).
std::string audience_of(const net::url& endpoint);

// Parses {"endpoint": "https://...", "expirationTime": null, "keys": {"p256dh": "...", "auth": "..."}}.
// Refused with one sentence for a person (the page shows it): not JSON, no endpoint, an endpoint that is
// not an https URL (http too with `allow_http`, for PUSH_ALLOW_PRIVATE), longer than 2048 characters, or
// keys that are not a P-256 point and a 16-byte secret. Where the host points is checked by the caller
// (it needs a DNS lookup).
boost::system::result<subscription, std::string> parse_subscription(std::string_view json, bool allow_http);

// Why the endpoint's host may not be pushed to (it does not resolve, or it resolves to a non-public
// address, unless `allow_private`), as a sentence for a person; nullopt when it may. The sender checks
// every address again when it connects.
boost::asio::awaitable<std::optional<std::string>> endpoint_problem(boost::asio::any_io_executor ex,
                                                                    net::url endpoint, bool allow_private);

} // namespace eelchat::push
