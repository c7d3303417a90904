#include "sso/jose.hpp"

#include "core/openssl_deleter.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <array>

namespace eelchat::sso {

namespace {

namespace json = boost::json;

using bn_free = openssl_deleter<BN_free>;
using bld_free = openssl_deleter<OSSL_PARAM_BLD_free>;
using params_free = openssl_deleter<OSSL_PARAM_free>;
using ctx_free = openssl_deleter<EVP_PKEY_CTX_free>;
using md_ctx_free = openssl_deleter<EVP_MD_CTX_free>;
using sig_free = openssl_deleter<ECDSA_SIG_free>;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* k) {
    return std::shared_ptr<EVP_PKEY>(k, [](EVP_PKEY* p) { EVP_PKEY_free(p); });
}

std::string text_member(const json::object& o, std::string_view name) {
    auto it = o.find(name);
    if (it == o.end() || !it->value().is_string()) return {};
    return std::string(it->value().get_string());
}

// An OpenSSL public key from parameters built by `push`, of kind `name` ("RSA", "EC").
template <class Push> std::shared_ptr<EVP_PKEY> key_from(const char* name, Push push) {
    std::unique_ptr<OSSL_PARAM_BLD, bld_free> bld(OSSL_PARAM_BLD_new());
    if (!bld || !push(bld.get())) return nullptr;
    std::unique_ptr<OSSL_PARAM, params_free> params(OSSL_PARAM_BLD_to_param(bld.get()));
    std::unique_ptr<EVP_PKEY_CTX, ctx_free> ctx(EVP_PKEY_CTX_new_from_name(nullptr, name, nullptr));
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
    EVP_PKEY* raw = nullptr;
    if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) return nullptr;
    auto key = own(raw);
    // A point off the curve (or a degenerate modulus) must not reach a signature check.
    std::unique_ptr<EVP_PKEY_CTX, ctx_free> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
    return key;
}

std::shared_ptr<EVP_PKEY> rsa_key(const json::object& o) {
    auto n = base64url_decode(text_member(o, "n"));
    auto e = base64url_decode(text_member(o, "e"));
    if (!n || !e || n->empty() || e->empty() || e->size() > 8) return nullptr;
    const auto* n_bytes = reinterpret_cast<const unsigned char*>(n->data());
    std::unique_ptr<BIGNUM, bn_free> bn_n(BN_bin2bn(n_bytes, static_cast<int>(n->size()), nullptr));
    std::unique_ptr<BIGNUM, bn_free> bn_e(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr));
    if (!bn_n || !bn_e || BN_num_bits(bn_n.get()) < 2048 || BN_num_bits(bn_n.get()) > 16384) return nullptr;
    return key_from("RSA", [&](OSSL_PARAM_BLD* bld) {
        return OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n.get()) == 1 &&
               OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e.get()) == 1;
    });
}

std::shared_ptr<EVP_PKEY> p256_key(const json::object& o) {
    if (text_member(o, "crv") != "P-256") return nullptr;
    auto x = base64url_decode(text_member(o, "x"));
    auto y = base64url_decode(text_member(o, "y"));
    if (!x || !y || x->size() != 32 || y->size() != 32) return nullptr;
    // The uncompressed point encoding (SEC 1 2.3.3): 0x04, then x, then y.
    std::string point = "\x04" + *x + *y;
    return key_from("EC", [&](OSSL_PARAM_BLD* bld) {
        return OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
               OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) ==
                   1;
    });
}

// The DER form OpenSSL verifies from the fixed-size r||s that JWS carries.
std::optional<std::string> ecdsa_der(std::string_view raw) {
    if (raw.size() != 64) return std::nullopt;
    const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
    std::unique_ptr<ECDSA_SIG, sig_free> sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(bytes, 32, nullptr);
    BIGNUM* s = BN_bin2bn(bytes + 32, 32, nullptr);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        return std::nullopt;
    }
    const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
    if (len <= 0) return std::nullopt;
    std::string der(static_cast<std::size_t>(len), '\0');
    auto* out = reinterpret_cast<unsigned char*>(der.data());
    if (i2d_ECDSA_SIG(sig.get(), &out) != len) return std::nullopt;
    return der;
}

} // namespace

const jwk* jwk_set::find(std::string_view kid) const {
    if (kid.empty()) return keys.size() == 1 ? &keys.front() : nullptr;
    for (const auto& k : keys)
        if (k.kid == kid) return &k;
    return nullptr;
}

result<jwk_set> parse_jwks(std::string_view text) {
    boost::system::error_code ec;
    json::value doc = json::parse(text, ec);
    if (ec || !doc.is_object()) return fail(failure_kind::invalid, "the JWKS is not a JSON object");
    const auto* keys = doc.get_object().if_contains("keys");
    if (!keys || !keys->is_array()) return fail(failure_kind::invalid, "the JWKS has no \"keys\" array");
    jwk_set set;
    for (const auto& entry : keys->get_array()) {
        if (!entry.is_object()) continue;
        const auto& o = entry.get_object();
        const std::string use = text_member(o, "use");
        if (!use.empty() && use != "sig") continue;
        jwk k;
        k.kid = text_member(o, "kid");
        k.kty = text_member(o, "kty");
        k.alg = text_member(o, "alg");
        if (k.kty == "RSA")
            k.key = rsa_key(o);
        else if (k.kty == "EC")
            k.key = p256_key(o);
        if (k.key) set.keys.push_back(std::move(k));
    }
    return set;
}

bool supported_alg(std::string_view alg) {
    return alg == "RS256" || alg == "ES256";
}

bool key_fits(const jwk& k, std::string_view alg) {
    if (!k.alg.empty() && k.alg != alg) return false;
    if (alg == "RS256") return k.kty == "RSA";
    if (alg == "ES256") return k.kty == "EC";
    return false;
}

bool verify_signature(const jwk& k, std::string_view alg, std::string_view signing_input,
                      std::string_view signature) {
    if (!k.key || !supported_alg(alg) || !key_fits(k, alg)) return false;
    std::string der;
    if (alg == "ES256") {
        auto converted = ecdsa_der(signature);
        if (!converted) return false;
        der = std::move(*converted);
        signature = der;
    }
    std::unique_ptr<EVP_MD_CTX, md_ctx_free> md(EVP_MD_CTX_new());
    if (!md || EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, k.key.get()) != 1) return false;
    return EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(), reinterpret_cast<const unsigned char*>(signing_input.data()),
                            signing_input.size()) == 1;
}

} // namespace eelchat::sso
