// Signing keys made by the test with OpenSSL, their public JWKs, and compact JWS tokens signed with
// them: what an OpenID Connect provider would publish and issue, for the ID token verifier's tests.
#pragma once

#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <string_view>

struct evp_pkey_st;

namespace eelchat::test {

class test_key {
public:
    // A fresh RSA key of `bits` bits ("RS256") or P-256 key ("ES256").
    static test_key rsa(std::string kid, int bits = 2048);
    static test_key p256(std::string kid);

    // The public JWK ({"kty","kid","n","e"} or {"kty","kid","crv","x","y"}), with "alg" and "use".
    boost::json::object public_jwk() const;
    // header.payload.signature, signed with this key; `header` gets "alg" and "kid" unless it has them.
    std::string sign(boost::json::object header, const boost::json::object& claims) const;

    const std::string& kid() const { return kid_; }
    const std::string& alg() const { return alg_; }

private:
    std::string kid_;
    std::string alg_;
    std::shared_ptr<evp_pkey_st> key_;
};

// {"keys": [...]} of these JWKs, serialised.
std::string jwks_of(std::initializer_list<boost::json::object> keys);

} // namespace eelchat::test
