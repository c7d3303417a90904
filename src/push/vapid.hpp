// Voluntary Application Server Identification (RFC 8292): the key pair eelchat signs its push requests
// with, and the Authorization header that proves to a push service the request comes from the holder of
// the key the browser subscribed with (PushManager.subscribe's applicationServerKey). Pure functions
// apart from key generation reading OpenSSL's CSPRNG.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace eelchat::push {

struct vapid_keys {
    std::string private_key; // the 32-byte raw scalar d
    std::string public_key;  // the 65-byte uncompressed point, what browsers get as applicationServerKey
};

// A fresh P-256 key pair.
vapid_keys generate_vapid_keys();
// Rebuilds the pair from a stored private scalar (derives the public point); nullopt when `d` is not a
// valid scalar (not 32 bytes, zero, or not below the group order).
std::optional<vapid_keys> vapid_keys_from_private(std::string_view d);

// The Authorization header value: "vapid t=<JWT>, k=<base64url public key>". The JWT's header is
// {"typ":"JWT","alg":"ES256"}, its claims {"aud": audience, "exp": seconds since the epoch, "sub": subject},
// its signature ES256 as the 64-byte r||s of RFC 7518 3.4 (not DER). `audience` is the push service's
// origin "https://host[:port]" (the caller derives it from the endpoint); `subject` a contact for the
// push service's operators, "mailto:..." or "https://...". RFC 8292 lets services refuse an `expires`
// more than 24 hours ahead. Throws std::invalid_argument for keys that are not a pair vapid_keys_from_private
// accepts: configuration gets checked at start-up, so that is a bug here.
std::string vapid_authorization(const vapid_keys& keys, std::string_view audience, std::string_view subject,
                                std::chrono::system_clock::time_point expires);

} // namespace eelchat::push
