#include "sso/id_token.hpp"

#include "core/crypto.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <optional>

namespace eelchat::sso {

namespace {

namespace json = boost::json;

// Well above any real ID token, low enough that a hostile one costs little to refuse.
constexpr std::size_t max_token_size = 16 * 1024;

std::optional<json::object> json_object(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.get_object());
}

std::optional<std::string> text_claim(const json::object& o, std::string_view name) {
    const auto* v = o.if_contains(name);
    if (!v || !v->is_string()) return std::nullopt;
    return std::string(v->get_string());
}

// A NumericDate (RFC 7519 2): seconds since the epoch, possibly fractional.
std::optional<std::int64_t> time_claim(const json::object& o, std::string_view name) {
    const auto* v = o.if_contains(name);
    if (!v) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v->get_uint64());
    if (v->is_double() && std::isfinite(v->get_double()) && std::abs(v->get_double()) < 1e15)
        return static_cast<std::int64_t>(std::floor(v->get_double()));
    return std::nullopt;
}

// "aud" is one string or an array of strings (OpenID Connect Core 2).
std::optional<std::vector<std::string>> audiences(const json::object& o) {
    const auto* v = o.if_contains("aud");
    if (!v) return std::nullopt;
    std::vector<std::string> out;
    if (v->is_string()) {
        out.emplace_back(v->get_string());
        return out;
    }
    if (!v->is_array()) return std::nullopt;
    for (const auto& a : v->get_array()) {
        if (!a.is_string()) return std::nullopt;
        out.emplace_back(a.get_string());
    }
    return out;
}

failure rejected(std::string why) {
    return fail(failure_kind::rejected, std::move(why));
}

} // namespace

result<id_token_claims> verify_id_token(std::string_view token, const jwk_set& keys,
                                        const id_token_expectations& expect,
                                        std::chrono::system_clock::time_point now) {
    if (token.size() > max_token_size) return rejected("the ID token is too large");
    const auto dot1 = token.find('.');
    const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return rejected("the ID token is not a compact JWS of three parts");
    auto header_text = base64url_decode(token.substr(0, dot1));
    auto payload_text = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
    auto signature = base64url_decode(token.substr(dot2 + 1));
    if (!header_text || !payload_text || !signature) return rejected("the ID token is not base64url");
    auto header = json_object(*header_text);
    auto claims = json_object(*payload_text);
    if (!header || !claims) return rejected("the ID token's header or claims are not JSON objects");

    // The header first: nothing of the claims counts before the signature does.
    const std::string alg = text_claim(*header, "alg").value_or("");
    if (!supported_alg(alg)) return rejected("the ID token's alg \"" + alg + "\" is not RS256 or ES256");
    if (header->contains("crit")) return rejected("the ID token has critical header parameters");
    const std::string kid = text_claim(*header, "kid").value_or("");
    const jwk* key = keys.find(kid);
    if (!key) return fail(failure_kind::unknown_key, "no key of the provider's JWKS has kid \"" + kid + "\"");
    if (!key_fits(*key, alg)) return rejected("key \"" + kid + "\" is not a key for " + alg);
    if (!verify_signature(*key, alg, token.substr(0, dot2), *signature))
        return rejected("the ID token's signature does not verify with key \"" + kid + "\"");

    if (text_claim(*claims, "iss") != expect.issuer)
        return rejected("the ID token's issuer is not OIDC_ISSUER");
    auto aud = audiences(*claims);
    if (!aud || std::find(aud->begin(), aud->end(), expect.client_id) == aud->end())
        return rejected("the ID token's audience does not include the client id");
    if (aud->size() > 1 && text_claim(*claims, "azp") != expect.client_id)
        return rejected("the ID token has several audiences and its azp is not the client id");
    if (auto azp = text_claim(*claims, "azp"); azp && *azp != expect.client_id)
        return rejected("the ID token's azp is not the client id");

    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    auto exp = time_claim(*claims, "exp");
    auto iat = time_claim(*claims, "iat");
    if (!exp || !iat) return rejected("the ID token lacks exp or iat");
    if (*exp + expect.skew.count() <= now_s) return rejected("the ID token has expired");
    if (*iat - expect.skew.count() > now_s) return rejected("the ID token was issued in the future");

    auto nonce = text_claim(*claims, "nonce");
    if (!nonce || expect.nonce.empty() || !crypto::constant_time_equal(*nonce, expect.nonce))
        return rejected("the ID token's nonce is not the one of this sign-in");

    id_token_claims out;
    out.kid = kid;
    out.subject = text_claim(*claims, "sub").value_or("");
    if (out.subject.empty()) return rejected("the ID token has no sub");
    out.email = text_claim(*claims, "email").value_or("");
    if (out.email.empty()) return fail(failure_kind::no_email, "the ID token carries no email");
    const auto* verified = claims->if_contains("email_verified");
    if (!verified || !verified->is_bool() || !verified->get_bool())
        return fail(failure_kind::no_email, "the provider does not say the email is verified");
    return out;
}

} // namespace eelchat::sso
