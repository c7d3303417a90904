// Why a step of single sign-on failed. The detail goes to the log only: people see a generic sentence
// (routes/sso_routes.cpp), because a provider's error or a forged token's claims are nothing to show.
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <string>

namespace eelchat::sso {

enum class failure_kind {
    unreachable, // the provider could not be fetched (network, status, size, time)
    invalid,     // the provider's document or answer is malformed or breaks the protocol
    unknown_key, // the ID token names a key the JWKS lacks (refetching the JWKS may help)
    rejected,    // the ID token fails verification (signature, issuer, audience, time, nonce)
    no_email,    // the token is valid but carries no verified email address
};

struct failure {
    failure_kind kind = failure_kind::invalid;
    std::string detail; // one short sentence for the log, e.g. "the audience does not include the client"
};

// Lets boost::system::result<T, failure>::value() throw.
[[noreturn]] void throw_exception_from_error(const failure& f, const boost::source_location& loc);

template <class T> using result = boost::system::result<T, failure>;

inline failure fail(failure_kind kind, std::string detail) {
    return failure{kind, std::move(detail)};
}

} // namespace eelchat::sso
