#include "push/encryption.hpp"

#include "core/openssl_deleter.hpp"

#include "core/crypto.hpp"
#include "push/p256.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <span>
#include <stdexcept>

namespace eelchat::push {

namespace {

constexpr std::size_t auth_size = 16;
constexpr std::size_t salt_size = 16;
constexpr std::size_t key_size = 16;   // AES-128
constexpr std::size_t nonce_size = 12; // the GCM nonce
constexpr std::size_t tag_size = 16;
// The record size the header announces. One record carries the whole message, so any value at least
// as big as it works; 4096 is what browsers and the RFC's example use.
constexpr std::uint32_t record_size = 4096;

using cipher_ctx_free = openssl_deleter<EVP_CIPHER_CTX_free>;

// HMAC-SHA-256 of `data` under `key`, the 32 raw bytes. HKDF with SHA-256 and one output block is two
// of these, which is how RFC 8291 3.4 and RFC 8188 2.2 write it down.
std::string hmac_sha256(std::string_view key, std::string_view data) {
    std::string out(32, '\0');
    std::size_t len = 0;
    if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                   reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                   reinterpret_cast<unsigned char*>(out.data()), out.size(), &len) ||
        len != out.size())
        throw std::runtime_error("HMAC-SHA-256 failed");
    return out;
}

// HKDF-Expand(prk, info, L) for L <= 32: the first L bytes of HMAC(prk, info || 0x01).
std::string expand(std::string_view prk, std::string_view info, std::size_t length) {
    std::string input(info);
    input += '\x01';
    return hmac_sha256(prk, input).substr(0, length);
}

// `s` with its terminating zero byte, as the info strings of RFC 8291 and RFC 8188 need it.
std::string with_nul(std::string_view s) {
    std::string out(s);
    out += '\0';
    return out;
}

// AES-128-GCM of `plaintext`: the ciphertext followed by the 16-byte tag.
std::optional<std::string> aes128gcm(std::string_view key, std::string_view nonce,
                                     std::string_view plaintext) {
    std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_free> ctx(EVP_CIPHER_CTX_new());
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());
    const auto* iv = reinterpret_cast<const unsigned char*>(nonce.data());
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) !=
            1 ||
        EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, k, iv) != 1)
        return std::nullopt;
    std::string out(plaintext.size() + tag_size, '\0');
    auto* dst = reinterpret_cast<unsigned char*>(out.data());
    int len = 0;
    if (EVP_EncryptUpdate(ctx.get(), dst, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                          static_cast<int>(plaintext.size())) != 1)
        return std::nullopt;
    int final_len = 0;
    if (EVP_EncryptFinal_ex(ctx.get(), dst + len, &final_len) != 1) return std::nullopt;
    const auto written = static_cast<std::size_t>(len + final_len);
    if (written != plaintext.size() ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_size), dst + written) != 1)
        return std::nullopt;
    return out;
}

// The body for `plaintext` from the application server's ephemeral key pair `as` and `salt`.
std::optional<std::string> seal(const subscription_keys& keys, std::string_view plaintext,
                                const p256::key& as, std::string_view salt) {
    if (plaintext.size() > max_plaintext || salt.size() != salt_size || !as || keys.auth.size() != auth_size)
        return std::nullopt;
    p256::key ua = p256::from_public(keys.p256dh);
    if (!ua) return std::nullopt;
    auto ecdh_secret = p256::ecdh(as, ua);
    if (!ecdh_secret) return std::nullopt;
    const std::string as_public = p256::raw_public(as);

    // RFC 8291 3.4: the auth secret and both public keys go into the input keying material, so only
    // the subscribing browser, which alone knows auth, can derive the content key.
    const std::string prk_key = hmac_sha256(keys.auth, *ecdh_secret);
    const std::string key_info = with_nul("WebPush: info") + keys.p256dh + as_public;
    const std::string ikm = expand(prk_key, key_info, 32);
    // RFC 8188 2.2 and 2.3: the content encryption key and nonce from the salt.
    const std::string prk = hmac_sha256(salt, ikm);
    const std::string cek = expand(prk, with_nul("Content-Encoding: aes128gcm"), key_size);
    const std::string nonce = expand(prk, with_nul("Content-Encoding: nonce"), nonce_size);

    // The single record is the last one, so its padding delimiter is 0x02 (RFC 8188 2).
    std::string record(plaintext);
    record += '\x02';
    auto sealed = aes128gcm(cek, nonce, record);
    if (!sealed) return std::nullopt;

    std::string body;
    body.reserve(salt_size + 4 + 1 + as_public.size() + sealed->size());
    body += salt;
    for (int shift = 24; shift >= 0; shift -= 8)
        body += static_cast<char>((record_size >> shift) & 0xff);
    body += static_cast<char>(as_public.size());
    body += as_public;
    body += *sealed;
    return body;
}

} // namespace

bool valid_keys(const subscription_keys& keys) {
    return keys.auth.size() == auth_size && p256::from_public(keys.p256dh) != nullptr;
}

std::optional<std::string> encrypt(const subscription_keys& keys, std::string_view plaintext) {
    // Cheap refusals first: no key generation for a request that cannot be sent.
    if (plaintext.size() > max_plaintext || !valid_keys(keys)) return std::nullopt;
    std::array<std::byte, salt_size> salt;
    crypto::random_bytes(salt);
    const p256::key as = p256::generate();
    const std::string_view salt_view(reinterpret_cast<const char*>(salt.data()), salt.size());
    return seal(keys, plaintext, as, salt_view);
}

std::optional<std::string> encrypt_with(const subscription_keys& keys, std::string_view plaintext,
                                        std::string_view ephemeral_private, std::string_view salt) {
    const p256::key as = p256::from_private(ephemeral_private);
    if (!as) return std::nullopt;
    return seal(keys, plaintext, as, salt);
}

} // namespace eelchat::push
