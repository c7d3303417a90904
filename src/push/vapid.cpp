#include "push/vapid.hpp"

#include "core/openssl_deleter.hpp"

#include "core/base64url.hpp"
#include "push/p256.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <stdexcept>

namespace eelchat::push {

namespace {

using md_ctx_free = openssl_deleter<EVP_MD_CTX_free>;
using sig_free = openssl_deleter<ECDSA_SIG_free>;

// ES256 over `input`: OpenSSL signs in DER, JWS wants r and s as two 32-byte big-endian numbers.
std::string es256(const p256::key& key, std::string_view input) {
    std::unique_ptr<EVP_MD_CTX, md_ctx_free> md(EVP_MD_CTX_new());
    const auto* data = reinterpret_cast<const unsigned char*>(input.data());
    std::size_t len = 0;
    if (!md || EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestSign(md.get(), nullptr, &len, data, input.size()) != 1)
        throw std::runtime_error("ES256 signing failed");
    std::string der(len, '\0');
    if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(der.data()), &len, data, input.size()) != 1)
        throw std::runtime_error("ES256 signing failed");
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    std::unique_ptr<ECDSA_SIG, sig_free> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
    std::string raw(64, '\0');
    auto* out = reinterpret_cast<unsigned char*>(raw.data());
    if (!sig || BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + 32, 32) != 32)
        throw std::runtime_error("ES256 signature has an unexpected shape");
    return raw;
}

} // namespace

vapid_keys generate_vapid_keys() {
    const p256::key key = p256::generate();
    return vapid_keys{p256::raw_private(key), p256::raw_public(key)};
}

std::optional<vapid_keys> vapid_keys_from_private(std::string_view d) {
    const p256::key key = p256::from_private(d);
    if (!key) return std::nullopt;
    return vapid_keys{std::string(d), p256::raw_public(key)};
}

std::string vapid_authorization(const vapid_keys& keys, std::string_view audience, std::string_view subject,
                                std::chrono::system_clock::time_point expires) {
    const p256::key key = p256::from_private(keys.private_key);
    // A public key that is not the private key's would be refused by every push service, with nothing
    // in the response to say why: refuse it here, where the mistake is.
    if (!key || p256::raw_public(key) != keys.public_key)
        throw std::invalid_argument("the VAPID keys are not a P-256 key pair");

    boost::json::object claims;
    claims["aud"] = audience;
    claims["exp"] = static_cast<std::int64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch()).count());
    claims["sub"] = subject;
    const std::string signing_input = text::base64url_encode(R"({"typ":"JWT","alg":"ES256"})") + "." +
                                      text::base64url_encode(boost::json::serialize(claims));
    const std::string jwt = signing_input + "." + text::base64url_encode(es256(key, signing_input));
    return "vapid t=" + jwt + ", k=" + text::base64url_encode(keys.public_key);
}

} // namespace eelchat::push
