// The code flow's messages and the discovery document.
#include "sso/discovery.hpp"
#include "sso/flow.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;

namespace {

constexpr std::string_view document = R"({
  "issuer": "https://id.example.org",
  "authorization_endpoint": "https://id.example.org/auth",
  "token_endpoint": "https://id.example.org/token",
  "jwks_uri": "https://id.example.org/jwks",
  "response_types_supported": ["code", "id_token"],
  "code_challenge_methods_supported": ["S256"],
  "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"]
})";

sso::client_credentials credentials() {
    return {"eel chat", "s3cret:&", "https://chat.example.org/auth/oidc/callback"};
}

} // namespace

TEST_CASE("discovery: the document's issuer must be OIDC_ISSUER and its endpoints https", "[unit][sso]") {
    CHECK(sso::discovery_url("https://id.example.org/realms/a/") ==
          "https://id.example.org/realms/a/.well-known/openid-configuration");
    auto m = sso::parse_discovery(document, "https://id.example.org");
    REQUIRE(m.has_value());
    CHECK(m->token_endpoint == "https://id.example.org/token");
    CHECK(sso::choose_client_auth(*m).value() == sso::client_auth::secret_post);
    m->token_endpoint_auth_methods.clear();
    CHECK(sso::choose_client_auth(*m).value() == sso::client_auth::secret_basic);
    m->token_endpoint_auth_methods = {"private_key_jwt"};
    CHECK_FALSE(sso::choose_client_auth(*m).has_value());

    CHECK_FALSE(sso::parse_discovery(document, "https://id.example.org/").has_value());
    CHECK_FALSE(sso::parse_discovery(document, "https://evil.example").has_value());
    std::string downgraded(document);
    downgraded.replace(downgraded.find("https://id.example.org/token"), 5, "http");
    CHECK_FALSE(sso::parse_discovery(downgraded, "https://id.example.org").has_value());
    std::string plain_pkce(document);
    plain_pkce.replace(plain_pkce.find("[\"S256\"]"), 8, "[\"plain\"]");
    CHECK_FALSE(sso::parse_discovery(plain_pkce, "https://id.example.org").has_value());
    CHECK_FALSE(sso::parse_discovery("not json", "https://id.example.org").has_value());
}

TEST_CASE("PKCE S256 matches RFC 7636 appendix B", "[unit][sso]") {
    CHECK(sso::pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") ==
          "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    const auto a = sso::new_login_secrets();
    const auto b = sso::new_login_secrets();
    CHECK(a.state.size() == 64);
    CHECK(a.state != b.state);
    CHECK(a.nonce != a.state);
    CHECK(a.verifier != a.nonce);
}

TEST_CASE("the authorization URL carries the client, state, nonce and challenge", "[unit][sso]") {
    sso::provider_metadata m;
    m.authorization_endpoint = "https://id.example.org/auth?tenant=a";
    const sso::login_secrets s{"st", "no", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"};
    CHECK(sso::authorization_url(m, credentials(), s) ==
          "https://id.example.org/auth?tenant=a&response_type=code&scope=openid+email&client_id=eel+chat"
          "&redirect_uri=https%3A%2F%2Fchat.example.org%2Fauth%2Foidc%2Fcallback&state=st&nonce=no"
          "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256");
}

TEST_CASE("the token request authenticates with Basic or in the body", "[unit][sso]") {
    sso::provider_metadata m;
    m.token_endpoint = "https://id.example.org/token";
    auto basic = sso::token_request(m, credentials(), sso::client_auth::secret_basic, "c/1", "ver");
    CHECK(basic.url == "https://id.example.org/token");
    CHECK(basic.content_type == "application/x-www-form-urlencoded");
    REQUIRE(basic.body);
    CHECK(*basic.body ==
          "grant_type=authorization_code&code=c%2F1&redirect_uri=https%3A%2F%2Fchat.example.org%2F"
          "auth%2Foidc%2Fcallback&code_verifier=ver");
    REQUIRE(basic.headers.size() == 1);
    // base64("eel+chat:s3cret%3A%26")
    CHECK(basic.headers[0].second == "Basic ZWVsK2NoYXQ6czNjcmV0JTNBJTI2");
    auto post = sso::token_request(m, credentials(), sso::client_auth::secret_post, "c", "ver");
    CHECK(post.headers.empty());
    CHECK(post.body->ends_with("&client_id=eel+chat&client_secret=s3cret%3A%26"));
}

TEST_CASE("the ID token is taken from a Bearer token response only", "[unit][sso]") {
    CHECK(sso::id_token_of(R"({"access_token":"a","token_type":"bearer","id_token":"x.y.z"})").value() ==
          "x.y.z");
    CHECK_FALSE(sso::id_token_of(R"({"access_token":"a","token_type":"Bearer"})").has_value());
    CHECK_FALSE(sso::id_token_of(R"({"token_type":"mac","id_token":"x.y.z"})").has_value());
    CHECK_FALSE(sso::id_token_of(R"({"error":"invalid_grant"})").has_value());
}
