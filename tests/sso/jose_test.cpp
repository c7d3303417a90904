// base64url and key sets: what parse_jwks keeps and leaves out.
#include "sso/jose.hpp"

#include "support/test_keys.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;

TEST_CASE("base64url round-trips and refuses padding and other alphabets", "[unit][sso]") {
    const std::vector<std::string> samples = {"",     "f",     "fo",     "foo",
                                              "foob", "fooba", "foobar", std::string("\xff\xfe\x00\x01", 4)};
    for (const auto& s : samples)
        CHECK(sso::base64url_decode(sso::base64url_encode(s)) == s);
    CHECK(sso::base64url_encode("\xfb\xff") == "-_8");
    CHECK_FALSE(sso::base64url_decode("Zm9v=").has_value());
    CHECK_FALSE(sso::base64url_decode("Zm+v").has_value());
    CHECK_FALSE(sso::base64url_decode("Zm9vY").has_value()); // a length no encoding has
    CHECK_FALSE(sso::base64url_decode("Zh").has_value());    // stray low bits
}

TEST_CASE("a key set keeps signing keys eelchat can verify with and skips the rest", "[unit][sso]") {
    const auto rsa = test::test_key::rsa("rsa");
    const auto ec = test::test_key::p256("ec");
    const auto small = test::test_key::rsa("small", 1024);
    auto encryption = test::test_key::rsa("enc").public_jwk();
    encryption["use"] = "enc";
    auto bad_point = ec.public_jwk();
    bad_point["kid"] = "off-curve";
    bad_point["y"] = bad_point["x"]; // almost surely not on the curve
    boost::json::object octet;
    octet["kty"] = "oct";
    octet["kid"] = "hmac";
    octet["k"] = "c2VjcmV0";
    auto set = sso::parse_jwks(
        test::jwks_of({rsa.public_jwk(), ec.public_jwk(), small.public_jwk(), encryption, bad_point, octet}));
    REQUIRE(set.has_value());
    REQUIRE(set->keys.size() == 2);
    CHECK(set->find("rsa"));
    CHECK(set->find("ec"));
    CHECK_FALSE(set->find("small"));
    CHECK_FALSE(set->find("off-curve"));
    CHECK_FALSE(set->find("")); // two keys: a token without kid names none of them

    auto one = sso::parse_jwks(test::jwks_of({rsa.public_jwk()}));
    REQUIRE(one.has_value());
    CHECK(one->find("") == &one->keys.front());

    CHECK_FALSE(sso::parse_jwks("[]").has_value());
    CHECK_FALSE(sso::parse_jwks(R"({"keys": 1})").has_value());
}
