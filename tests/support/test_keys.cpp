#include "support/test_keys.hpp"

#include "sso/jose.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <stdexcept>

namespace eelchat::test {

namespace {

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* k) {
    if (!k) throw std::runtime_error("key generation failed");
    return std::shared_ptr<EVP_PKEY>(k, [](EVP_PKEY* p) { EVP_PKEY_free(p); });
}

std::string bn_param(EVP_PKEY* k, const char* name) {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(k, name, &bn) != 1) throw std::runtime_error("no key parameter");
    std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    BN_free(bn);
    return out;
}

std::string der_to_raw(std::string_view der) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
    if (!sig) throw std::runtime_error("bad ECDSA signature");
    std::string raw(64, '\0');
    auto* out = reinterpret_cast<unsigned char*>(raw.data());
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + 32, 32);
    ECDSA_SIG_free(sig);
    return raw;
}

} // namespace

test_key test_key::rsa(std::string kid, int bits) {
    test_key k;
    k.kid_ = std::move(kid);
    k.alg_ = "RS256";
    k.key_ = own(EVP_RSA_gen(static_cast<unsigned>(bits)));
    return k;
}

test_key test_key::p256(std::string kid) {
    test_key k;
    k.kid_ = std::move(kid);
    k.alg_ = "ES256";
    k.key_ = own(EVP_EC_gen("P-256"));
    return k;
}

boost::json::object test_key::public_jwk() const {
    boost::json::object o;
    o["kid"] = kid_;
    o["alg"] = alg_;
    o["use"] = "sig";
    if (alg_ == "RS256") {
        o["kty"] = "RSA";
        o["n"] = sso::base64url_encode(bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_N));
        o["e"] = sso::base64url_encode(bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_E));
    } else {
        o["kty"] = "EC";
        o["crv"] = "P-256";
        std::string point(65, '\0');
        std::size_t len = 0;
        EVP_PKEY_set_utf8_string_param(key_.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                       "uncompressed");
        if (EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                            reinterpret_cast<unsigned char*>(point.data()), point.size(),
                                            &len) != 1 ||
            len != 65)
            throw std::runtime_error("no EC public point");
        o["x"] = sso::base64url_encode(point.substr(1, 32));
        o["y"] = sso::base64url_encode(point.substr(33, 32));
    }
    return o;
}

std::string test_key::sign(boost::json::object header, const boost::json::object& claims) const {
    if (!header.contains("alg")) header["alg"] = alg_;
    if (!header.contains("kid")) header["kid"] = kid_;
    const std::string input = sso::base64url_encode(boost::json::serialize(header)) + "." +
                              sso::base64url_encode(boost::json::serialize(claims));
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    std::size_t len = 0;
    if (EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
        EVP_DigestSign(md, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) != 1)
        throw std::runtime_error("signing failed");
    std::string sig(len, '\0');
    if (EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
        throw std::runtime_error("signing failed");
    EVP_MD_CTX_free(md);
    sig.resize(len);
    if (alg_ == "ES256") sig = der_to_raw(sig);
    return input + "." + sso::base64url_encode(sig);
}

std::string jwks_of(std::initializer_list<boost::json::object> keys) {
    boost::json::array a;
    for (const auto& k : keys)
        a.push_back(k);
    boost::json::object o;
    o["keys"] = std::move(a);
    return boost::json::serialize(o);
}

} // namespace eelchat::test
