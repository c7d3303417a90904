// Verification of an OpenID Connect ID token (OpenID Connect Core 3.1.3.7), as a pure function of the
// token, the provider's keys, what eelchat expects and the time: no fetching, no clock, no state, so
// tests can hand it any token and any moment.
#pragma once

#include "sso/failure.hpp"
#include "sso/jose.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace eelchat::sso {

struct id_token_expectations {
    std::string issuer;            // OIDC_ISSUER, compared exactly
    std::string client_id;         // must be in "aud"; and "azp" when "aud" holds several
    std::string nonce;             // the one stored when the sign-in began
    std::chrono::seconds skew{60}; // clock difference tolerated for "exp" and "iat"
};

struct id_token_claims {
    std::string subject; // "sub"
    std::string email;   // as the provider sent it (the caller normalises it)
    std::string kid;     // the key that signed it, for the log
};

// The token's claims when its signature (RS256 or ES256, by a key of `keys` that fits the header's alg)
// and its claims hold: iss, aud (and azp), exp in the future, iat not in the future, nonce; and it
// carries an email with email_verified true (no_email otherwise). Fails with unknown_key when the header
// names a kid `keys` lacks, so the caller may refetch the key set once.
result<id_token_claims> verify_id_token(std::string_view token, const jwk_set& keys,
                                        const id_token_expectations& expect,
                                        std::chrono::system_clock::time_point now);

} // namespace eelchat::sso
