// The ID token verifier with keys made here: a good token of each algorithm, and each way a token must
// be refused (signature, audience, time, nonce, alg, key).
#include "sso/id_token.hpp"

#include "support/test_keys.hpp"

#include <catch2/catch.hpp>

#include <boost/json/array.hpp>

using namespace eelchat;
using std::chrono::seconds;
using std::chrono::system_clock;

namespace {

const system_clock::time_point now = system_clock::time_point(seconds(1'800'000'000));

std::int64_t at(std::int64_t offset) {
    return 1'800'000'000 + offset;
}

sso::id_token_expectations expect() {
    sso::id_token_expectations e;
    e.issuer = "https://id.example.org";
    e.client_id = "eelchat";
    e.nonce = "n-0S6_WzA2Mj";
    return e;
}

boost::json::object good_claims() {
    boost::json::object c;
    c["iss"] = "https://id.example.org";
    c["sub"] = "248289761001";
    c["aud"] = "eelchat";
    c["nonce"] = "n-0S6_WzA2Mj";
    c["iat"] = at(-10);
    c["exp"] = at(300);
    c["email"] = "ada@example.org";
    c["email_verified"] = true;
    return c;
}

sso::jwk_set keys_of(std::initializer_list<boost::json::object> jwks) {
    auto set = sso::parse_jwks(test::jwks_of(jwks));
    REQUIRE(set.has_value());
    return *set;
}

// The failure of a verification that must fail.
sso::failure refusal(const sso::result<sso::id_token_claims>& r) {
    if (r.has_value()) FAIL("the token was accepted");
    return r.error();
}

} // namespace

TEST_CASE("a good RS256 ID token gives its email and subject", "[unit][sso]") {
    const auto key = test::test_key::rsa("rsa-1");
    const auto other = test::test_key::p256("ec-1");
    const auto keys = keys_of({other.public_jwk(), key.public_jwk()});
    auto r = sso::verify_id_token(key.sign({}, good_claims()), keys, expect(), now);
    REQUIRE(r.has_value());
    CHECK(r->email == "ada@example.org");
    CHECK(r->subject == "248289761001");
    CHECK(r->kid == "rsa-1");
}

TEST_CASE("a good ES256 ID token verifies, and aud may be a list with azp", "[unit][sso]") {
    const auto key = test::test_key::p256("ec-1");
    const auto keys = keys_of({key.public_jwk()});
    CHECK(sso::verify_id_token(key.sign({}, good_claims()), keys, expect(), now).has_value());

    auto several = good_claims();
    several["aud"] = boost::json::array{"other-app", "eelchat"};
    CHECK(refusal(sso::verify_id_token(key.sign({}, several), keys, expect(), now)).kind ==
          sso::failure_kind::rejected);
    several["azp"] = "eelchat";
    CHECK(sso::verify_id_token(key.sign({}, several), keys, expect(), now).has_value());
    several["azp"] = "other-app";
    CHECK_FALSE(sso::verify_id_token(key.sign({}, several), keys, expect(), now).has_value());
}

TEST_CASE("a token signed by another key with the same kid is refused", "[unit][sso]") {
    const auto key = test::test_key::rsa("k");
    const auto forger = test::test_key::rsa("k");
    const auto keys = keys_of({key.public_jwk()});
    const auto f = refusal(sso::verify_id_token(forger.sign({}, good_claims()), keys, expect(), now));
    CHECK(f.kind == sso::failure_kind::rejected);
    CHECK_THAT(f.detail, Catch::Contains("signature"));

    // A claim changed after signing breaks the signature too.
    std::string token = key.sign({}, good_claims());
    auto tampered_claims = good_claims();
    tampered_claims["email"] = "mallory@example.org";
    const std::string forged_payload = test::test_key::rsa("x").sign({}, tampered_claims);
    const auto p1 = forged_payload.find('.'), p2 = forged_payload.rfind('.');
    const auto t1 = token.find('.'), t2 = token.rfind('.');
    token = token.substr(0, t1) + forged_payload.substr(p1, p2 - p1) + token.substr(t2);
    CHECK(refusal(sso::verify_id_token(token, keys, expect(), now)).kind == sso::failure_kind::rejected);
}

TEST_CASE("a token for another audience or issuer is refused", "[unit][sso]") {
    const auto key = test::test_key::rsa("k");
    const auto keys = keys_of({key.public_jwk()});
    auto claims = good_claims();
    claims["aud"] = "someone-else";
    CHECK_THAT(refusal(sso::verify_id_token(key.sign({}, claims), keys, expect(), now)).detail,
               Catch::Contains("audience"));
    claims = good_claims();
    claims["iss"] = "https://id.example.org/";
    CHECK_THAT(refusal(sso::verify_id_token(key.sign({}, claims), keys, expect(), now)).detail,
               Catch::Contains("issuer"));
}

TEST_CASE("an expired token is refused, within the skew it is not", "[unit][sso]") {
    const auto key = test::test_key::rsa("k");
    const auto keys = keys_of({key.public_jwk()});
    auto claims = good_claims();
    claims["exp"] = at(-61);
    CHECK_THAT(refusal(sso::verify_id_token(key.sign({}, claims), keys, expect(), now)).detail,
               Catch::Contains("expired"));
    claims["exp"] = at(-30);
    CHECK(sso::verify_id_token(key.sign({}, claims), keys, expect(), now).has_value());
    claims = good_claims();
    claims["iat"] = at(3600);
    CHECK_THAT(refusal(sso::verify_id_token(key.sign({}, claims), keys, expect(), now)).detail,
               Catch::Contains("future"));
    claims.erase("exp");
    CHECK_FALSE(sso::verify_id_token(key.sign({}, claims), keys, expect(), now).has_value());
}

TEST_CASE("a token with another nonce or none is refused", "[unit][sso]") {
    const auto key = test::test_key::rsa("k");
    const auto keys = keys_of({key.public_jwk()});
    auto claims = good_claims();
    claims["nonce"] = "replayed";
    CHECK_THAT(refusal(sso::verify_id_token(key.sign({}, claims), keys, expect(), now)).detail,
               Catch::Contains("nonce"));
    claims.erase("nonce");
    CHECK_FALSE(sso::verify_id_token(key.sign({}, claims), keys, expect(), now).has_value());
}

TEST_CASE("alg none, HS256 and an alg that does not fit the key are refused", "[unit][sso]") {
    const auto key = test::test_key::rsa("k");
    const auto keys = keys_of({key.public_jwk()});
    const std::string unsigned_token = sso::base64url_encode(R"({"alg":"none","kid":"k"})") + "." +
                                       sso::base64url_encode(boost::json::serialize(good_claims())) + ".";
    CHECK_THAT(refusal(sso::verify_id_token(unsigned_token, keys, expect(), now)).detail,
               Catch::Contains("none"));

    boost::json::object hs;
    hs["alg"] = "HS256";
    CHECK(refusal(sso::verify_id_token(key.sign(hs, good_claims()), keys, expect(), now)).kind ==
          sso::failure_kind::rejected);
    boost::json::object es;
    es["alg"] = "ES256";
    CHECK(refusal(sso::verify_id_token(key.sign(es, good_claims()), keys, expect(), now)).kind ==
          sso::failure_kind::rejected);
    CHECK_FALSE(sso::verify_id_token("not-a-token", keys, expect(), now).has_value());
    CHECK_FALSE(sso::verify_id_token("a.b.c.d", keys, expect(), now).has_value());
}

TEST_CASE("a token naming an unknown kid says so, so the key set can be refetched", "[unit][sso]") {
    const auto key = test::test_key::rsa("rotated-in");
    const auto old_key = test::test_key::rsa("old");
    const auto keys = keys_of({old_key.public_jwk()});
    CHECK(refusal(sso::verify_id_token(key.sign({}, good_claims()), keys, expect(), now)).kind ==
          sso::failure_kind::unknown_key);
    CHECK(sso::verify_id_token(key.sign({}, good_claims()), keys_of({old_key.public_jwk(), key.public_jwk()}),
                               expect(), now)
              .has_value());
}

TEST_CASE("a valid token without a verified email is refused as such", "[unit][sso]") {
    const auto key = test::test_key::rsa("k");
    const auto keys = keys_of({key.public_jwk()});
    auto claims = good_claims();
    claims["email_verified"] = false;
    CHECK(refusal(sso::verify_id_token(key.sign({}, claims), keys, expect(), now)).kind ==
          sso::failure_kind::no_email);
    claims["email_verified"] = "true"; // a string is not the boolean the spec asks for
    CHECK(refusal(sso::verify_id_token(key.sign({}, claims), keys, expect(), now)).kind ==
          sso::failure_kind::no_email);
    claims.erase("email");
    claims["email_verified"] = true;
    CHECK(refusal(sso::verify_id_token(key.sign({}, claims), keys, expect(), now)).kind ==
          sso::failure_kind::no_email);
}
