#include "sso/flow.hpp"

#include "core/crypto.hpp"
#include "core/text.hpp"
#include "sso/jose.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <openssl/evp.h>

#include <array>

namespace eelchat::sso {

namespace {

namespace json = boost::json;

std::string lower(std::string s) {
    for (auto& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

std::string sha256_raw(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md;
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("EVP_Digest(sha256) failed");
    return std::string(reinterpret_cast<const char*>(md.data()), len);
}

std::string base64(std::string_view data) {
    // Standard base64 with padding, for the Basic scheme: base64url's alphabet with two letters swapped.
    std::string out = base64url_encode(data);
    for (auto& c : out) {
        if (c == '-') c = '+';
        if (c == '_') c = '/';
    }
    while (out.size() % 4 != 0)
        out += '=';
    return out;
}

} // namespace

login_secrets new_login_secrets() {
    return login_secrets{crypto::random_token(), crypto::random_token(), crypto::random_token()};
}

std::string pkce_challenge(std::string_view verifier) {
    return base64url_encode(sha256_raw(verifier));
}

std::string authorization_url(const provider_metadata& m, const client_credentials& c,
                              const login_secrets& s) {
    std::string u = m.authorization_endpoint;
    u += u.find('?') == std::string::npos ? '?' : '&';
    u += "response_type=code&scope=" + text::form_encode("openid email") +
         "&client_id=" + text::form_encode(c.client_id) +
         "&redirect_uri=" + text::form_encode(c.redirect_uri) + "&state=" + text::form_encode(s.state) +
         "&nonce=" + text::form_encode(s.nonce) + "&code_challenge=" + pkce_challenge(s.verifier) +
         "&code_challenge_method=S256";
    return u;
}

net::fetch_request token_request(const provider_metadata& m, const client_credentials& c, client_auth auth,
                                 std::string_view code, std::string_view verifier) {
    net::fetch_request req;
    req.url = m.token_endpoint;
    req.content_type = "application/x-www-form-urlencoded";
    req.accept = "application/json";
    std::string body = "grant_type=authorization_code&code=" + text::form_encode(code) +
                       "&redirect_uri=" + text::form_encode(c.redirect_uri) +
                       "&code_verifier=" + text::form_encode(verifier);
    if (auth == client_auth::secret_basic) {
        // RFC 6749 2.3.1: the id and secret are form-encoded before they are joined and base64-encoded.
        req.headers.emplace_back("Authorization", "Basic " + base64(text::form_encode(c.client_id) + ":" +
                                                                    text::form_encode(c.client_secret)));
    } else {
        body += "&client_id=" + text::form_encode(c.client_id) +
                "&client_secret=" + text::form_encode(c.client_secret);
    }
    req.body = std::move(body);
    return req;
}

result<std::string> id_token_of(std::string_view text) {
    boost::system::error_code ec;
    json::value doc = json::parse(text, ec);
    if (ec || !doc.is_object()) return fail(failure_kind::invalid, "the token response is not a JSON object");
    const auto& o = doc.get_object();
    const auto* type = o.if_contains("token_type");
    if (!type || !type->is_string() || lower(std::string(type->get_string())) != "bearer")
        return fail(failure_kind::invalid, "the token response's token_type is not Bearer");
    const auto* token = o.if_contains("id_token");
    if (!token || !token->is_string() || token->get_string().empty())
        return fail(failure_kind::invalid, "the token response has no id_token");
    return std::string(token->get_string());
}

} // namespace eelchat::sso
