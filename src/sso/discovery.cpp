#include "sso/discovery.hpp"

#include "net/url.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

namespace eelchat::sso {

namespace {

namespace json = boost::json;

std::string text_member(const json::object& o, std::string_view name) {
    const auto* v = o.if_contains(name);
    if (!v || !v->is_string()) return {};
    return std::string(v->get_string());
}

std::vector<std::string> text_list(const json::object& o, std::string_view name) {
    std::vector<std::string> out;
    const auto* v = o.if_contains(name);
    if (!v || !v->is_array()) return out;
    for (const auto& item : v->get_array())
        if (item.is_string()) out.emplace_back(item.get_string());
    return out;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

// An endpoint eelchat will send people or secrets to: absolute http(s), and https under an https issuer
// so that a TLS-protected discovery cannot downgrade the token exchange.
std::optional<std::string> endpoint_problem(const std::string& value, bool https_issuer) {
    if (value.empty()) return "is missing";
    auto u = net::parse_url(value);
    if (!u) return "is not an absolute http(s) URL";
    if (https_issuer && !u->https()) return "is not https";
    return std::nullopt;
}

} // namespace

std::string discovery_url(std::string_view issuer) {
    std::string base(issuer);
    while (!base.empty() && base.back() == '/')
        base.pop_back();
    return base + "/.well-known/openid-configuration";
}

result<provider_metadata> parse_discovery(std::string_view text, std::string_view expected_issuer) {
    boost::system::error_code ec;
    json::value doc = json::parse(text, ec);
    if (ec || !doc.is_object())
        return fail(failure_kind::invalid, "the discovery document is not a JSON object");
    const auto& o = doc.get_object();
    provider_metadata m;
    m.issuer = text_member(o, "issuer");
    if (m.issuer != expected_issuer)
        return fail(failure_kind::invalid,
                    "the discovery document's issuer \"" + m.issuer + "\" is not OIDC_ISSUER");
    const bool https = expected_issuer.starts_with("https://");
    m.authorization_endpoint = text_member(o, "authorization_endpoint");
    m.token_endpoint = text_member(o, "token_endpoint");
    m.jwks_uri = text_member(o, "jwks_uri");
    const std::pair<const char*, const std::string*> endpoints[] = {
        {"authorization_endpoint", &m.authorization_endpoint},
        {"token_endpoint", &m.token_endpoint},
        {"jwks_uri", &m.jwks_uri}};
    for (const auto& [name, value] : endpoints)
        if (auto problem = endpoint_problem(*value, https))
            return fail(failure_kind::invalid,
                        "the discovery document's " + std::string(name) + " " + *problem);
    if (m.authorization_endpoint.find('#') != std::string::npos)
        return fail(failure_kind::invalid, "the authorization_endpoint has a fragment");
    m.token_endpoint_auth_methods = text_list(o, "token_endpoint_auth_methods_supported");
    m.code_challenge_methods = text_list(o, "code_challenge_methods_supported");
    if (!m.code_challenge_methods.empty() && !contains(m.code_challenge_methods, "S256"))
        return fail(failure_kind::invalid, "the provider does not support PKCE with S256");
    const auto response_types = text_list(o, "response_types_supported");
    if (!response_types.empty() && !contains(response_types, "code"))
        return fail(failure_kind::invalid, "the provider does not support the authorization code flow");
    return m;
}

result<client_auth> choose_client_auth(const provider_metadata& m) {
    const auto& methods = m.token_endpoint_auth_methods;
    if (methods.empty() || contains(methods, "client_secret_basic")) return client_auth::secret_basic;
    if (contains(methods, "client_secret_post")) return client_auth::secret_post;
    return fail(failure_kind::invalid,
                "the token endpoint supports neither client_secret_basic nor client_secret_post");
}

} // namespace eelchat::sso
