// The provider's metadata (OpenID Connect Discovery 1.0, section 3), from the document at
// {issuer}/.well-known/openid-configuration. Pure parsing: the fetching and caching are in sso/client.hpp.
#pragma once

#include "sso/failure.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace eelchat::sso {

struct provider_metadata {
    std::string issuer;
    std::string authorization_endpoint;
    std::string token_endpoint;
    std::string jwks_uri;
    std::vector<std::string> token_endpoint_auth_methods; // empty: the default, client_secret_basic
    std::vector<std::string> code_challenge_methods;      // may be empty (not all providers say)
};

// The discovery URL of an issuer: its path with "/.well-known/openid-configuration" appended.
std::string discovery_url(std::string_view issuer);

// Parses the document. Its "issuer" must be exactly `expected_issuer` (Discovery 4.3: otherwise anyone
// serving a document could impersonate the provider); the endpoints must be absolute URLs, https when
// the issuer is. A provider that lists code_challenge_methods_supported without S256 is refused: eelchat
// always uses PKCE with S256.
result<provider_metadata> parse_discovery(std::string_view json, std::string_view expected_issuer);

// How eelchat authenticates at the token endpoint.
enum class client_auth { secret_basic, secret_post };
// client_secret_basic when the provider supports it (or says nothing, its default), else client_secret_post;
// invalid when it supports neither.
result<client_auth> choose_client_auth(const provider_metadata& m);

} // namespace eelchat::sso
