// P-256 keys from and to the raw byte forms Web Push uses: a private key is the 32-byte big-endian
// scalar d, a public key the 65-byte uncompressed point 0x04 || x || y (SEC 1 2.3.3). Shared by the
// message encryption (ECDH) and VAPID (ES256 signatures), so the OpenSSL key plumbing lives in one place.
// Pure functions apart from key generation reading OpenSSL's CSPRNG.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct evp_pkey_st; // OpenSSL's EVP_PKEY, kept out of this header

namespace eelchat::push::p256 {

inline constexpr std::size_t private_size = 32;
inline constexpr std::size_t public_size = 65;

struct key_free {
    void operator()(evp_pkey_st* k) const;
};
using key = std::unique_ptr<evp_pkey_st, key_free>;

// A fresh key pair. Throws std::runtime_error if OpenSSL cannot make one (a broken library, not input).
key generate();
// The key pair of scalar `d`, its public point derived; null unless d is 32 bytes with 0 < d < n.
key from_private(std::string_view d);
// The public key of an uncompressed point; null unless it has that shape and lies on the curve.
key from_public(std::string_view point);

// The 32-byte scalar of a key pair (left-padded with zeros).
std::string raw_private(const key& k);
// The 65-byte uncompressed point of a key.
std::string raw_public(const key& k);

// The 32-byte x coordinate of own * peer (RFC 8291's ecdh_secret); nullopt if OpenSSL refuses.
std::optional<std::string> ecdh(const key& own, const key& peer);

} // namespace eelchat::push::p256
