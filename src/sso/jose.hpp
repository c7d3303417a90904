// The JOSE pieces an OpenID Connect client needs (RFC 7515, 7517, 7518): a provider's key set
// (JWKS) turned into OpenSSL public keys, and JWS signature checks for RS256 and ES256. Pure functions;
// a parsed key set is immutable and may be shared between threads.
#pragma once

#include "core/base64url.hpp"
#include "sso/failure.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct evp_pkey_st; // OpenSSL's EVP_PKEY, kept out of this header

namespace eelchat::sso {

// Base64url (RFC 7515 2) lives in core; the JOSE code here and its callers use it as their own.
using text::base64url_decode;
using text::base64url_encode;

// One signing key of a provider.
struct jwk {
    std::string kid; // may be empty
    std::string kty; // "RSA" or "EC" (other kinds are skipped when parsing)
    std::string alg; // may be empty: then any algorithm of its kind
    std::shared_ptr<evp_pkey_st> key;
};

struct jwk_set {
    std::vector<jwk> keys;
    // The key named `kid`; with no kid, the only key of the set (a provider with one key may omit kids).
    const jwk* find(std::string_view kid) const;
};

// Parses a JWKS document. Keys that are not for signatures ("use" other than "sig"), of kinds or curves
// eelchat does not verify with (RSA under 2048 bits, EC other than P-256), or malformed are left out
// rather than failing the set: a provider may publish keys for other clients. Fails only when the
// document itself is not a key set.
result<jwk_set> parse_jwks(std::string_view json);

// The algorithms eelchat verifies: RS256 and ES256. "none", HS256 (a shared secret would make the client
// secret a signing key) and the rest are refused.
bool supported_alg(std::string_view alg);
// Whether `k` may verify `alg`: its kind fits, and its own "alg", when it names one, is the same.
bool key_fits(const jwk& k, std::string_view alg);
// Checks a JWS signature over `signing_input` ("header.payload" as sent). For ES256 `signature` is the
// 64-byte r||s of RFC 7518 3.4, not DER.
bool verify_signature(const jwk& k, std::string_view alg, std::string_view signing_input,
                      std::string_view signature);

} // namespace eelchat::sso
