// VAPID: the keys, and an Authorization header a push service accepts: a JWT whose ES256 signature
// verifies against the k= key (checked with the OpenID client's independent JWS verifier).
#include "push/vapid.hpp"

#include "core/base64url.hpp"
#include "sso/jose.hpp"

#include <catch2/catch.hpp>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <stdexcept>

using namespace eelchat;

namespace {

std::string b64(std::string_view s) {
    auto bytes = text::base64url_decode(s);
    if (!bytes) throw std::invalid_argument("bad base64url in a test vector");
    return *bytes;
}

std::string from_hex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
    return out;
}

// The order n of P-256's base point (FIPS 186-4 D.1.2.3) and the base point's coordinates.
const std::string order = from_hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
const std::string g_x = from_hex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");
const std::string g_y = from_hex("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");

// The parts of "vapid t=<JWT>, k=<key>".
struct parsed_header {
    std::string signing_input; // header.claims as sent
    boost::json::object header;
    boost::json::object claims;
    std::string signature;
    std::string k;
};

parsed_header parse(const std::string& authorization) {
    const std::string prefix = "vapid t=";
    REQUIRE(authorization.rfind(prefix, 0) == 0);
    const auto comma = authorization.find(", k=");
    REQUIRE(comma != std::string::npos);
    const std::string jwt = authorization.substr(prefix.size(), comma - prefix.size());
    parsed_header out;
    out.k = authorization.substr(comma + 4);
    const auto first = jwt.find('.');
    const auto second = jwt.find('.', first + 1);
    REQUIRE(second != std::string::npos);
    REQUIRE(jwt.find('.', second + 1) == std::string::npos);
    out.signing_input = jwt.substr(0, second);
    out.header = boost::json::parse(b64(jwt.substr(0, first))).as_object();
    out.claims = boost::json::parse(b64(jwt.substr(first + 1, second - first - 1))).as_object();
    out.signature = b64(jwt.substr(second + 1));
    return out;
}

// The public key as an OpenID provider would publish it, through the JWKS parser.
sso::jwk jwk_of(const std::string& public_key) {
    boost::json::object o;
    o["kty"] = "EC";
    o["crv"] = "P-256";
    o["x"] = text::base64url_encode(public_key.substr(1, 32));
    o["y"] = text::base64url_encode(public_key.substr(33, 32));
    boost::json::object set;
    set["keys"] = boost::json::array{o};
    auto parsed = sso::parse_jwks(boost::json::serialize(set));
    REQUIRE(parsed.has_value());
    REQUIRE(parsed->keys.size() == 1);
    return parsed->keys.front();
}

} // namespace

TEST_CASE("generated VAPID keys are a raw P-256 pair that rebuilds from its scalar", "[unit][push]") {
    const auto keys = push::generate_vapid_keys();
    CHECK(keys.private_key.size() == 32);
    REQUIRE(keys.public_key.size() == 65);
    CHECK(keys.public_key[0] == '\x04');
    const auto rebuilt = push::vapid_keys_from_private(keys.private_key);
    REQUIRE(rebuilt.has_value());
    CHECK(rebuilt->private_key == keys.private_key);
    CHECK(rebuilt->public_key == keys.public_key);
    CHECK(push::generate_vapid_keys().private_key != keys.private_key);
}

TEST_CASE("vapid_keys_from_private derives the known public points", "[unit][push]") {
    // RFC 8291 Appendix A's application server key pair.
    const auto rfc = push::vapid_keys_from_private(b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"));
    REQUIRE(rfc.has_value());
    CHECK(text::base64url_encode(rfc->public_key) ==
          "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8");
    // d = 1 is the base point itself; d = n - 1 its negation, with the same x.
    std::string one(32, '\0');
    one[31] = '\x01';
    const auto base = push::vapid_keys_from_private(one);
    REQUIRE(base.has_value());
    CHECK(base->public_key == "\x04" + g_x + g_y);
    std::string last = order;
    last[31] = static_cast<char>(last[31] - 1);
    const auto negated = push::vapid_keys_from_private(last);
    REQUIRE(negated.has_value());
    CHECK(negated->public_key.substr(1, 32) == g_x);
    CHECK(negated->public_key.substr(33) != g_y);
}

TEST_CASE("vapid_keys_from_private refuses what is not a P-256 scalar", "[unit][push]") {
    CHECK_FALSE(push::vapid_keys_from_private(std::string(32, '\0')).has_value()); // 0
    CHECK_FALSE(push::vapid_keys_from_private(order).has_value());                 // n
    std::string above = order;
    above[31] = static_cast<char>(above[31] + 1);
    CHECK_FALSE(push::vapid_keys_from_private(above).has_value());                   // n + 1
    CHECK_FALSE(push::vapid_keys_from_private(std::string(32, '\xff')).has_value()); // 2^256 - 1
    CHECK_FALSE(push::vapid_keys_from_private(std::string(31, '\x01')).has_value()); // short
    CHECK_FALSE(push::vapid_keys_from_private(std::string(33, '\x01')).has_value()); // long
    CHECK_FALSE(push::vapid_keys_from_private("").has_value());
}

TEST_CASE("the VAPID Authorization header carries a signed JWT a push service verifies", "[unit][push]") {
    const auto keys = push::generate_vapid_keys();
    const auto expires = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
    const std::string value =
        push::vapid_authorization(keys, "https://push.example.net:8443", "mailto:admin@example.org", expires);
    const auto parsed = parse(value);

    CHECK(parsed.k == text::base64url_encode(keys.public_key));
    CHECK(parsed.header.size() == 2);
    CHECK(parsed.header.at("typ") == "JWT");
    CHECK(parsed.header.at("alg") == "ES256");
    CHECK(parsed.claims.size() == 3);
    CHECK(parsed.claims.at("aud") == "https://push.example.net:8443");
    CHECK(parsed.claims.at("sub") == "mailto:admin@example.org");
    CHECK(parsed.claims.at("exp") == 1'700'000'000);

    REQUIRE(parsed.signature.size() == 64);
    const auto jwk = jwk_of(keys.public_key);
    CHECK(sso::verify_signature(jwk, "ES256", parsed.signing_input, parsed.signature));
    // The signature covers the claims, and only this key made it.
    std::string altered = parsed.signing_input;
    altered.back() = altered.back() == 'A' ? 'B' : 'A';
    CHECK_FALSE(sso::verify_signature(jwk, "ES256", altered, parsed.signature));
    const auto other = jwk_of(push::generate_vapid_keys().public_key);
    CHECK_FALSE(sso::verify_signature(other, "ES256", parsed.signing_input, parsed.signature));
}

TEST_CASE("claims with quotes and backslashes stay valid JSON", "[unit][push]") {
    const auto keys = push::generate_vapid_keys();
    const auto expires = std::chrono::system_clock::now() + std::chrono::hours(12);
    const auto parsed = parse(
        push::vapid_authorization(keys, "https://push.example.net", "mailto:\"ops\"\\@example.org", expires));
    CHECK(parsed.claims.at("sub") == "mailto:\"ops\"\\@example.org");
    CHECK(parsed.claims.at("exp") ==
          std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch()).count());
}

TEST_CASE("vapid_authorization refuses keys that are not a pair", "[unit][push]") {
    auto keys = push::generate_vapid_keys();
    keys.public_key = push::generate_vapid_keys().public_key;
    const auto expires = std::chrono::system_clock::now() + std::chrono::hours(1);
    CHECK_THROWS_AS(
        push::vapid_authorization(keys, "https://push.example.net", "mailto:a@example.org", expires),
        std::invalid_argument);
    keys.private_key = std::string(32, '\0');
    CHECK_THROWS_AS(
        push::vapid_authorization(keys, "https://push.example.net", "mailto:a@example.org", expires),
        std::invalid_argument);
}
