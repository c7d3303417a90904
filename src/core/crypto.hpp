// Randomness, hashing and identifiers for security-sensitive values: session, link and CSRF tokens,
// one-time codes, token digests and UUIDs. Everything here is pure apart from reading the kernel CSPRNG.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace eelchat::crypto {

// Fills `out` from the kernel CSPRNG (getrandom(2)). Blocks only until the pool is initialised at boot.
// Throws std::system_error if the kernel refuses: running without good randomness is a bug, not a
// recoverable condition.
void random_bytes(std::span<std::byte> out);

// 256 random bits as 64 lowercase hex characters: session tokens, link tokens, CSRF tokens.
std::string random_token();
// Whether `s` has the shape random_token() gives (64 lowercase hex characters): what a client sends back
// as a token is checked before it goes anywhere near the database.
bool is_token(std::string_view s);

// Six decimal digits, uniform over 000000..999999, for codes a person types.
std::string random_code6();

// SHA-256 of `data` as 64 lowercase hex characters. Tokens are stored by digest so a leaked table does
// not hand out live sessions.
std::string sha256_hex(std::string_view data);

// HMAC-SHA-256 of `data` under `key`, as 64 lowercase hex characters: a value only the holder of the key
// can compute (CSRF tokens of browsers the server keeps no row for, device cookies).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// Compares secrets without leaking through timing where they first differ. The length is not secret
// (tokens have a fixed length), so different lengths return false at once.
bool constant_time_equal(std::string_view a, std::string_view b);

// Lowercase hex, two characters per byte.
std::string hex(std::span<const std::byte> bytes);

// A random (version 4) UUID in lowercase canonical form, e.g. "1b4e28ba-2fa1-4d2b-883f-0016d3cca427".
std::string new_uuid();

// True for the canonical 8-4-4-4-12 form only (36 characters, hex in either case); no braces, no urn:
// prefix, no missing dashes. Any version is accepted: ids also come from PostgreSQL.
bool is_uuid(std::string_view s);

// The lowercase form of a canonical UUID, nullopt for anything else. Route parameters go through this
// so a malformed id is a 404 before it reaches the database.
std::optional<std::string> normalize_uuid(std::string_view s);

} // namespace eelchat::crypto
