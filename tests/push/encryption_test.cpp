// Web Push message encryption: RFC 8291's worked example byte for byte, and what a browser would read
// back from encrypt()'s bodies, decrypted here by a receiver written independently of src/push.
#include "push/encryption.hpp"

#include "core/base64url.hpp"

#include <catch2/catch.hpp>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdint>
#include <memory>
#include <stdexcept>

using namespace eelchat;

namespace {

std::string b64(std::string_view text) {
    auto bytes = text::base64url_decode(text);
    if (!bytes) throw std::invalid_argument("bad base64url in a test vector");
    return *bytes;
}

struct pkey_free {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using pkey = std::unique_ptr<EVP_PKEY, pkey_free>;

// A browser's side of a subscription: its own P-256 key pair and auth secret.
struct user_agent {
    pkey key;
    push::subscription_keys keys;
};

user_agent new_user_agent() {
    user_agent ua;
    ua.key.reset(EVP_EC_gen("P-256"));
    if (!ua.key) throw std::runtime_error("EVP_EC_gen failed");
    EVP_PKEY_set_utf8_string_param(ua.key.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "uncompressed");
    std::string point(65, '\0');
    std::size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(ua.key.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                        reinterpret_cast<unsigned char*>(point.data()), point.size(),
                                        &len) != 1 ||
        len != 65)
        throw std::runtime_error("no public point");
    ua.keys.p256dh = point;
    ua.keys.auth = std::string("0123456789abcdef", 16);
    return ua;
}

std::string hmac(std::string_view key, std::string_view data) {
    unsigned char out[32];
    std::size_t len = 0;
    if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                   reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out, &len))
        throw std::runtime_error("HMAC failed");
    return std::string(reinterpret_cast<const char*>(out), len);
}

// What the browser does on receipt (RFC 8188 2 and RFC 8291 3.4, 4): read the header, agree on the
// secret with the sender's key from keyid, derive the key and nonce, open the one record and strip its
// padding. nullopt for anything a browser would reject.
std::optional<std::string> decrypt(const user_agent& ua, std::string_view body) {
    if (body.size() < 21) return std::nullopt;
    const std::string salt(body.substr(0, 16));
    const auto* b = reinterpret_cast<const unsigned char*>(body.data());
    const std::uint32_t rs = (std::uint32_t{b[16]} << 24) | (std::uint32_t{b[17]} << 16) |
                             (std::uint32_t{b[18]} << 8) | std::uint32_t{b[19]};
    const std::size_t idlen = b[20];
    if (idlen != 65 || body.size() < 21 + idlen + 17) return std::nullopt;
    const std::string as_public(body.substr(21, idlen));
    const std::string_view record = body.substr(21 + idlen);
    if (record.size() > rs) return std::nullopt; // a single record must fit the record size

    std::string point = as_public;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>("prime256v1"), 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
        OSSL_PARAM_construct_end()};
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> from(
        EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), &EVP_PKEY_CTX_free);
    EVP_PKEY* raw = nullptr;
    if (EVP_PKEY_fromdata_init(from.get()) != 1 ||
        EVP_PKEY_fromdata(from.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1)
        return std::nullopt;
    pkey as(raw);
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> derive(
        EVP_PKEY_CTX_new_from_pkey(nullptr, ua.key.get(), nullptr), &EVP_PKEY_CTX_free);
    std::string ecdh(32, '\0');
    std::size_t ecdh_len = ecdh.size();
    if (EVP_PKEY_derive_init(derive.get()) != 1 || EVP_PKEY_derive_set_peer(derive.get(), as.get()) != 1 ||
        EVP_PKEY_derive(derive.get(), reinterpret_cast<unsigned char*>(ecdh.data()), &ecdh_len) != 1 ||
        ecdh_len != 32)
        return std::nullopt;

    const std::string key_info = std::string("WebPush: info", 14) + ua.keys.p256dh + as_public;
    const std::string ikm = hmac(hmac(ua.keys.auth, ecdh), key_info + '\x01');
    const std::string prk = hmac(salt, ikm);
    const std::string cek = hmac(prk, std::string("Content-Encoding: aes128gcm\0\x01", 29)).substr(0, 16);
    const std::string nonce = hmac(prk, std::string("Content-Encoding: nonce\0\x01", 25)).substr(0, 12);

    const std::string_view ciphertext = record.substr(0, record.size() - 16);
    std::string tag(record.substr(record.size() - 16));
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                        &EVP_CIPHER_CTX_free);
    std::string plain(ciphertext.size(), '\0');
    int len = 0;
    int final_len = 0;
    if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr,
                           reinterpret_cast<const unsigned char*>(cek.data()),
                           reinterpret_cast<const unsigned char*>(nonce.data())) != 1 ||
        EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                          reinterpret_cast<const unsigned char*>(ciphertext.data()),
                          static_cast<int>(ciphertext.size())) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data()) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &final_len) != 1)
        return std::nullopt;
    // Padding: zeros after the delimiter, which for the last record is 0x02.
    const auto delimiter = plain.find_last_not_of('\0');
    if (delimiter == std::string::npos || plain[delimiter] != '\x02') return std::nullopt;
    plain.resize(delimiter);
    return plain;
}

} // namespace

TEST_CASE("encrypt_with reproduces RFC 8291's example body byte for byte", "[unit][push]") {
    // RFC 8291 Appendix A.
    const push::subscription_keys ua{
        b64("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"),
        b64("BTBZMqHH6r4Tts7J_aSIgg")};
    const std::string as_private = b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw");
    const std::string salt = b64("DGv6ra1nlYgDCS1FRnbzlw");
    const std::string expected = b64(
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC"
        "8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN");

    CHECK(push::valid_keys(ua));
    const auto body = push::encrypt_with(ua, "When I grow up, I want to be a watermelon", as_private, salt);
    REQUIRE(body.has_value());
    CHECK(text::base64url_encode(*body) == text::base64url_encode(expected));
}

TEST_CASE("a browser decrypts what encrypt sends it", "[unit][push]") {
    const auto ua = new_user_agent();
    REQUIRE(push::valid_keys(ua.keys));
    const std::vector<std::string> messages = {"", "{\"title\":\"#general\",\"body\":\"ada: hello\"}",
                                               std::string("\x00\x02\xff binary", 10),
                                               std::string(push::max_plaintext, 'x')};
    for (const auto& message : messages) {
        const auto body = push::encrypt(ua.keys, message);
        REQUIRE(body.has_value());
        CHECK(body->size() == 86 + message.size() + 1 + 16);
        CHECK(decrypt(ua, *body) == message);
    }
    // The largest message makes the largest body a push service takes.
    CHECK(push::encrypt(ua.keys, std::string(push::max_plaintext, 'x'))->size() == 4096);
}

TEST_CASE("encrypt writes the aes128gcm header with a fresh salt and sender key each time", "[unit][push]") {
    const auto ua = new_user_agent();
    const auto first = push::encrypt(ua.keys, "same words");
    const auto second = push::encrypt(ua.keys, "same words");
    REQUIRE(first.has_value());
    REQUIRE(second.has_value());
    CHECK(first->substr(16, 4) == std::string("\x00\x00\x10\x00", 4)); // rs = 4096
    CHECK(first->substr(20, 1) == "\x41");                             // idlen = 65
    CHECK(first->substr(21, 1) == "\x04");                             // an uncompressed point
    CHECK(first->substr(0, 16) != second->substr(0, 16));
    CHECK(first->substr(21, 65) != second->substr(21, 65));
    CHECK(*first != *second);
    CHECK(decrypt(ua, *first) == "same words");
    CHECK(decrypt(ua, *second) == "same words");
}

TEST_CASE("a body changed on the way does not decrypt", "[unit][push]") {
    const auto ua = new_user_agent();
    auto body = push::encrypt(ua.keys, "meet at noon");
    REQUIRE(body.has_value());
    (*body)[body->size() - 20] ^= 0x01;
    CHECK_FALSE(decrypt(ua, *body).has_value());
    // Nor does one sealed for another browser.
    const auto other = new_user_agent();
    const auto theirs = push::encrypt(other.keys, "meet at noon");
    REQUIRE(theirs.has_value());
    CHECK_FALSE(decrypt(ua, *theirs).has_value());
}

TEST_CASE("subscription keys of the wrong shape or off the curve are refused", "[unit][push]") {
    const auto ua = new_user_agent();
    auto check_refused = [](const push::subscription_keys& keys) {
        CHECK_FALSE(push::valid_keys(keys));
        CHECK_FALSE(push::encrypt(keys, "hello").has_value());
    };
    auto keys = ua.keys;
    keys.auth.pop_back(); // 15 bytes
    check_refused(keys);
    keys = ua.keys;
    keys.auth += 'x'; // 17 bytes
    check_refused(keys);
    keys = ua.keys;
    keys.p256dh.pop_back(); // 64 bytes
    check_refused(keys);
    keys = ua.keys;
    keys.p256dh[64] ^= 0x01; // y no longer fits x: not on the curve
    check_refused(keys);
    keys = ua.keys;
    keys.p256dh[0] = '\x05'; // not the uncompressed form
    check_refused(keys);
    keys = ua.keys;
    keys.p256dh =
        std::string(1, '\x02') + ua.keys.p256dh.substr(1, 32); // compressed, which browsers never send
    check_refused(keys);
    keys = ua.keys;
    keys.p256dh = std::string(1, '\x04') + std::string(64, '\0');
    check_refused(keys);
    check_refused(push::subscription_keys{});
}

TEST_CASE("a message longer than one push body holds is refused", "[unit][push]") {
    const auto ua = new_user_agent();
    CHECK(push::encrypt(ua.keys, std::string(push::max_plaintext, 'x')).has_value());
    CHECK_FALSE(push::encrypt(ua.keys, std::string(push::max_plaintext + 1, 'x')).has_value());
    const std::string as_private(32, '\x01');
    const std::string salt(16, '\x02');
    const std::string too_long(push::max_plaintext + 1, 'x');
    CHECK_FALSE(push::encrypt_with(ua.keys, too_long, as_private, salt).has_value());
}

TEST_CASE("encrypt_with refuses a malformed sender key or salt", "[unit][push]") {
    const auto ua = new_user_agent();
    const std::string good_private(32, '\x01');
    const std::string good_salt(16, '\x02');
    CHECK(push::encrypt_with(ua.keys, "hi", good_private, good_salt).has_value());
    CHECK_FALSE(push::encrypt_with(ua.keys, "hi", std::string(31, '\x01'), good_salt).has_value());
    CHECK_FALSE(push::encrypt_with(ua.keys, "hi", std::string(32, '\0'), good_salt).has_value());
    CHECK_FALSE(push::encrypt_with(ua.keys, "hi", std::string(32, '\xff'), good_salt).has_value()); // >= n
    CHECK_FALSE(push::encrypt_with(ua.keys, "hi", good_private, std::string(15, '\x02')).has_value());
    CHECK(decrypt(ua, *push::encrypt_with(ua.keys, "hi", good_private, good_salt)) == "hi");
}
