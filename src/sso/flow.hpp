// The authorization code flow's messages (OpenID Connect Core 3.1, RFC 7636 PKCE), as pure functions:
// the secrets of one sign-in, the URL that sends the browser to the provider, the token request, and
// the ID token out of the token response.
#pragma once

#include "net/http_fetch.hpp"
#include "sso/discovery.hpp"
#include "sso/failure.hpp"

#include <string>
#include <string_view>

namespace eelchat::sso {

// What eelchat is at the provider.
struct client_credentials {
    std::string client_id;
    std::string client_secret;
    std::string redirect_uri; // BASE_URL + "/auth/oidc/callback", registered at the provider
};

// The three secrets of one sign-in, each 256 random bits: `state` ties the callback to the browser that
// began (stored by its hash), `nonce` ties the ID token to this sign-in, `verifier` is the PKCE secret
// only eelchat's token request reveals.
struct login_secrets {
    std::string state;
    std::string nonce;
    std::string verifier;
};
login_secrets new_login_secrets();

// BASE64URL(SHA-256(verifier)), the S256 code_challenge of RFC 7636 4.2.
std::string pkce_challenge(std::string_view verifier);

// The provider's authorization endpoint with response_type=code, scope "openid email", the client,
// redirect_uri, state, nonce and the S256 challenge (appended with & when the endpoint has a query).
std::string authorization_url(const provider_metadata& m, const client_credentials& c,
                              const login_secrets& s);

// The token request for `code` (RFC 6749 4.1.3 with the code_verifier), authenticated as `auth` says.
net::fetch_request token_request(const provider_metadata& m, const client_credentials& c, client_auth auth,
                                 std::string_view code, std::string_view verifier);

// The id_token of a successful token response (with token_type Bearer, case-insensitive).
result<std::string> id_token_of(std::string_view token_response_json);

} // namespace eelchat::sso
