#include "push/p256.hpp"

#include "core/openssl_deleter.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include <stdexcept>

namespace eelchat::push::p256 {

namespace {

// OpenSSL's name for the curve the Push API and ES256 use (P-256, secp256r1).
constexpr const char* group_name = "prime256v1";

using bn_free = openssl_deleter<BN_clear_free>;
using bn_ctx_free = openssl_deleter<BN_CTX_free>;
using group_free = openssl_deleter<EC_GROUP_free>;
using point_free = openssl_deleter<EC_POINT_free>;
using bld_free = openssl_deleter<OSSL_PARAM_BLD_free>;
using params_free = openssl_deleter<OSSL_PARAM_free>;
using ctx_free = openssl_deleter<EVP_PKEY_CTX_free>;

using bignum = std::unique_ptr<BIGNUM, bn_free>;
using pkey_ctx = std::unique_ptr<EVP_PKEY_CTX, ctx_free>;

const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

// A key from the group name plus what `push` adds (the point, and for a key pair the scalar).
template <class Push> key from_params(int selection, Push push) {
    std::unique_ptr<OSSL_PARAM_BLD, bld_free> bld(OSSL_PARAM_BLD_new());
    if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group_name, 0) != 1 ||
        !push(bld.get()))
        return nullptr;
    std::unique_ptr<OSSL_PARAM, params_free> params(OSSL_PARAM_BLD_to_param(bld.get()));
    pkey_ctx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
    EVP_PKEY* raw = nullptr;
    if (EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1) return nullptr;
    return key(raw);
}

// d * G as an uncompressed point. EVP_PKEY_fromdata does not derive the public half of a bare scalar,
// so the group arithmetic is done here (EC_GROUP and EC_POINT, not the deprecated EC_KEY).
std::optional<std::string> public_point_of(const BIGNUM* d) {
    std::unique_ptr<EC_GROUP, group_free> group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
    std::unique_ptr<BN_CTX, bn_ctx_free> bn_ctx(BN_CTX_new());
    if (!group || !bn_ctx) return std::nullopt;
    // Only 0 < d < n names a key; anything else would be reduced or degenerate.
    if (BN_is_zero(d) || BN_is_negative(d) || BN_cmp(d, EC_GROUP_get0_order(group.get())) >= 0)
        return std::nullopt;
    std::unique_ptr<EC_POINT, point_free> q(EC_POINT_new(group.get()));
    if (!q || EC_POINT_mul(group.get(), q.get(), d, nullptr, nullptr, bn_ctx.get()) != 1) return std::nullopt;
    std::string point(public_size, '\0');
    if (EC_POINT_point2oct(group.get(), q.get(), POINT_CONVERSION_UNCOMPRESSED,
                           reinterpret_cast<unsigned char*>(point.data()), point.size(),
                           bn_ctx.get()) != public_size)
        return std::nullopt;
    return point;
}

} // namespace

void key_free::operator()(evp_pkey_st* k) const {
    EVP_PKEY_free(k);
}

key generate() {
    pkey_ctx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* raw = nullptr;
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_group_name(ctx.get(), group_name) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1)
        throw std::runtime_error("P-256 key generation failed");
    return key(raw);
}

key from_private(std::string_view d) {
    if (d.size() != private_size) return nullptr;
    bignum scalar(BN_bin2bn(bytes(d), static_cast<int>(d.size()), nullptr));
    if (!scalar) return nullptr;
    auto point = public_point_of(scalar.get());
    if (!point) return nullptr;
    return from_params(EVP_PKEY_KEYPAIR, [&](OSSL_PARAM_BLD* bld) {
        return OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, scalar.get()) == 1 &&
               OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point->data(), point->size()) ==
                   1;
    });
}

key from_public(std::string_view point) {
    if (point.size() != public_size || point.front() != '\x04') return nullptr;
    key k = from_params(EVP_PKEY_PUBLIC_KEY, [&](OSSL_PARAM_BLD* bld) {
        return OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) ==
               1;
    });
    if (!k) return nullptr;
    // The point must lie on the curve: ECDH with a point off it can leak the private key.
    pkey_ctx check(EVP_PKEY_CTX_new_from_pkey(nullptr, k.get(), nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
    return k;
}

std::string raw_private(const key& k) {
    BIGNUM* raw = nullptr;
    if (!k || EVP_PKEY_get_bn_param(k.get(), OSSL_PKEY_PARAM_PRIV_KEY, &raw) != 1)
        throw std::runtime_error("the P-256 key has no private scalar");
    bignum d(raw);
    std::string out(private_size, '\0');
    if (BN_bn2binpad(d.get(), reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size())) !=
        static_cast<int>(private_size))
        throw std::runtime_error("the P-256 private scalar does not fit 32 bytes");
    return out;
}

std::string raw_public(const key& k) {
    std::string out(public_size, '\0');
    std::size_t len = 0;
    if (!k ||
        EVP_PKEY_get_octet_string_param(k.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                        reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                        &len) != 1 ||
        len != public_size || out.front() != '\x04')
        throw std::runtime_error("the P-256 key has no uncompressed public point");
    return out;
}

std::optional<std::string> ecdh(const key& own, const key& peer) {
    if (!own || !peer) return std::nullopt;
    pkey_ctx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own.get(), nullptr));
    std::size_t len = 0;
    if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
        EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
        EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1)
        return std::nullopt;
    std::string secret(len, '\0');
    if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(secret.data()), &len) != 1 ||
        len != private_size)
        return std::nullopt;
    secret.resize(len);
    return secret;
}

} // namespace eelchat::push::p256
