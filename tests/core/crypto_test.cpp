#include "core/crypto.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <set>

using namespace eelchat::crypto;

namespace {
bool all_lower_hex(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}
} // namespace

TEST_CASE("random_bytes fills the whole buffer, including large ones", "[unit][crypto]") {
    // Larger than one getrandom call is guaranteed to return; all-zero after filling is a 2^-8000 event.
    std::vector<std::byte> buf(1000, std::byte{0});
    random_bytes(buf);
    CHECK(std::any_of(buf.begin(), buf.end(), [](std::byte b) { return b != std::byte{0}; }));
    std::array<std::byte, 0> none;
    random_bytes(none); // an empty request is fine
}

TEST_CASE("random_token is 64 lowercase hex characters and never repeats", "[unit][crypto]") {
    auto a = random_token();
    auto b = random_token();
    CHECK(a.size() == 64);
    CHECK(all_lower_hex(a));
    CHECK(all_lower_hex(b));
    CHECK(a != b);
}

TEST_CASE("random_code6 is always six decimal digits and covers the range", "[unit][crypto]") {
    std::set<char> first_digits;
    for (int i = 0; i < 2000; ++i) {
        auto code = random_code6();
        REQUIRE(code.size() == 6);
        for (char c : code)
            REQUIRE((c >= '0' && c <= '9'));
        first_digits.insert(code[0]);
    }
    // Leading zeros are kept, and every leading digit shows up (each misses 2000 draws with p = 0.9^2000).
    CHECK(first_digits.size() == 10);
}

TEST_CASE("sha256_hex matches the FIPS 180-2 test vectors", "[unit][crypto]") {
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex(std::string_view("a\0b", 3)) != sha256_hex("ab")); // embedded NUL is hashed too
}

TEST_CASE("constant_time_equal compares content and length", "[unit][crypto]") {
    CHECK(constant_time_equal("", ""));
    CHECK(constant_time_equal("secret", "secret"));
    CHECK_FALSE(constant_time_equal("secret", "secreT"));
    CHECK_FALSE(constant_time_equal("secret", "secret2"));
    CHECK_FALSE(constant_time_equal("secret", ""));
    CHECK_FALSE(constant_time_equal("", "x"));
    CHECK_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST_CASE("hex renders bytes as two lowercase digits each", "[unit][crypto]") {
    std::array<std::byte, 4> b{std::byte{0x00}, std::byte{0x0f}, std::byte{0xab}, std::byte{0xff}};
    CHECK(hex(b) == "000fabff");
    CHECK(hex(std::span<const std::byte>()).empty());
}

TEST_CASE("new_uuid is a lowercase canonical version 4 UUID", "[unit][crypto]") {
    auto u = new_uuid();
    REQUIRE(u.size() == 36);
    CHECK(is_uuid(u));
    CHECK(normalize_uuid(u) == u);
    CHECK(u[14] == '4');
    CHECK((u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b'));
    CHECK(u != new_uuid());
}

TEST_CASE("is_uuid accepts the canonical form only", "[unit][crypto]") {
    CHECK(is_uuid("1b4e28ba-2fa1-4d2b-883f-0016d3cca427"));
    CHECK(is_uuid("1B4E28BA-2FA1-4D2B-883F-0016D3CCA427"));
    CHECK(is_uuid("00000000-0000-0000-0000-000000000000"));

    CHECK_FALSE(is_uuid(""));
    CHECK_FALSE(is_uuid("{1b4e28ba-2fa1-4d2b-883f-0016d3cca427}"));
    CHECK_FALSE(is_uuid("urn:uuid:1b4e28ba-2fa1-4d2b-883f-0016d3cca427"));
    CHECK_FALSE(is_uuid("1b4e28ba2fa14d2b883f0016d3cca427"));
    CHECK_FALSE(is_uuid("1b4e28ba-2fa14d2b-883f-0016d3cca4270"));
    CHECK_FALSE(is_uuid("1b4e28ba-2fa1-4d2b-883f-0016d3cca42"));
    CHECK_FALSE(is_uuid("1b4e28ba-2fa1-4d2b-883f-0016d3cca4277"));
    CHECK_FALSE(is_uuid("1b4e28ba-2fa1-4d2b-883f-0016d3cca42g"));
    CHECK_FALSE(is_uuid(" 1b4e28ba-2fa1-4d2b-883f-0016d3cca42"));
    CHECK_FALSE(is_uuid("1b4e28ba-2fa1-4d2b-883f-0016d3cca427 "));
    CHECK_FALSE(is_uuid("1b4e28ba_2fa1_4d2b_883f_0016d3cca427"));
    CHECK_FALSE(is_uuid("../../../../etc/passwd-xxxxxxxxxxxxxx"));
    CHECK_FALSE(is_uuid(std::string_view("1b4e28ba-2fa1-4d2b-883f-0016d3cca42\0", 36)));
}

TEST_CASE("normalize_uuid lowercases valid ids and rejects everything else", "[unit][crypto]") {
    CHECK(normalize_uuid("1B4E28BA-2FA1-4d2b-883F-0016D3CCA427") == "1b4e28ba-2fa1-4d2b-883f-0016d3cca427");
    CHECK(normalize_uuid("1b4e28ba-2fa1-4d2b-883f-0016d3cca427") == "1b4e28ba-2fa1-4d2b-883f-0016d3cca427");
    CHECK_FALSE(normalize_uuid("{1B4E28BA-2FA1-4D2B-883F-0016D3CCA427}").has_value());
    CHECK_FALSE(normalize_uuid("1B4E28BA2FA14D2B883F0016D3CCA427").has_value());
    CHECK_FALSE(normalize_uuid("not-a-uuid").has_value());
    CHECK_FALSE(normalize_uuid("").has_value());
}

TEST_CASE("hmac_sha256_hex matches RFC 4231 test case 2", "[unit][crypto]") {
    CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
