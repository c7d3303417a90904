// Web Push message encryption (RFC 8291) in the aes128gcm content coding (RFC 8188): what eelchat POSTs
// to a push service is sealed for the browser that subscribed, so the push service reads nothing of it.
// Pure functions apart from the fresh randomness of encrypt().
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace eelchat::push {

// A browser's subscription keys, raw bytes (decoded from PushSubscription.toJSON().keys): p256dh is the
// 65-byte uncompressed P-256 point, auth the 16-byte secret.
struct subscription_keys {
    std::string p256dh;
    std::string auth;
};

// Whether they have those shapes and p256dh is a point on the curve (callers validate before storing).
bool valid_keys(const subscription_keys& keys);

// Push services take bodies of at most 4096 bytes: the 86-byte header, the padding delimiter and the
// 16-byte tag leave this much for the message itself.
inline constexpr std::size_t max_plaintext = 3993;

// The request body for Content-Encoding: aes128gcm: salt (16) | rs (4, big-endian, 4096) | idlen (1) = 65 |
// keyid = the sender's ephemeral public key (65) | one record, AES-128-GCM(plaintext | 0x02) with its tag.
// A fresh ephemeral key pair and random salt each call. nullopt when the keys are invalid or the
// plaintext is longer than max_plaintext.
std::optional<std::string> encrypt(const subscription_keys& keys, std::string_view plaintext);

// The same with the ephemeral private key (32 raw bytes) and the salt (16 bytes) given, for tests with
// RFC 8291's example; nullopt also when those are malformed. Reusing either in production breaks the
// encryption: use encrypt().
std::optional<std::string> encrypt_with(const subscription_keys& keys, std::string_view plaintext,
                                        std::string_view ephemeral_private, std::string_view salt);

} // namespace eelchat::push
