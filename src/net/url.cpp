#include "net/url.hpp"

#include <boost/asio/ip/address_v6.hpp>

#include <charconv>
#include <vector>

namespace eelchat::net {

namespace {

class url_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "eelchat.url"; }
    std::string message(int ev) const override {
        switch (static_cast<url_errc>(ev)) {
        case url_errc::malformed:
            return "malformed URL";
        case url_errc::unsupported_scheme:
            return "only http and https URLs are supported";
        }
        return "unknown URL error";
    }
};

using boost::system::result;

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool has_space_or_control(std::string_view s) {
    for (unsigned char c : s)
        if (c <= 0x20 || c == 0x7f) return true;
    return false;
}

// The length of a leading "scheme:" (without the colon), or 0 when the text does not start with one.
std::size_t scheme_length(std::string_view s) {
    if (s.empty() || !is_alpha(s[0])) return 0;
    for (std::size_t i = 1; i < s.size(); ++i) {
        const char c = s[i];
        if (c == ':') return i;
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return 0;
    }
    return 0;
}

// Percent-encodes what may not appear raw in an HTTP request target; '%' itself is kept (the text
// may already be encoded).
std::string encode_target(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        const bool plain = c < 0x80 && c != '"' && c != '<' && c != '>' && c != '\\' && c != '^' &&
                           c != '`' && c != '{' && c != '|' && c != '}';
        if (plain) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    return out;
}

// RFC 3986 5.2.4 for a path that starts with '/'.
std::string remove_dot_segments(std::string_view path) {
    std::vector<std::string_view> out;
    std::string_view rest = path.substr(1);
    for (;;) {
        const auto slash = rest.find('/');
        const bool last = slash == std::string_view::npos;
        const std::string_view seg = last ? rest : rest.substr(0, slash);
        if (seg == ".") {
            if (last) out.emplace_back();
        } else if (seg == "..") {
            if (!out.empty()) out.pop_back();
            if (last) out.emplace_back();
        } else {
            out.push_back(seg);
        }
        if (last) break;
        rest.remove_prefix(slash + 1);
    }
    std::string result;
    for (const auto seg : out) {
        result += '/';
        result += seg;
    }
    return result.empty() ? "/" : result;
}

// Path (dot segments removed) and query, encoded; "/" for an empty path.
std::string normalize_target(std::string_view path_and_query) {
    const auto q = path_and_query.find('?');
    std::string_view path = path_and_query.substr(0, q);
    const std::string_view query =
        q == std::string_view::npos ? std::string_view{} : path_and_query.substr(q);
    std::string target = path.empty() ? std::string("/") : remove_dot_segments(path);
    target += query;
    return encode_target(target);
}

bool valid_reg_name(std::string_view host) {
    if (host.empty() || host.front() == '.' || host.find("..") != std::string_view::npos) return false;
    for (char c : host)
        if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' && c != '_') return false;
    return true;
}

result<std::uint16_t> parse_port(std::string_view s, std::uint16_t fallback) {
    if (s.empty()) return fallback;
    if (s.size() > 5) return make_error_code(url_errc::malformed);
    for (char c : s)
        if (!is_digit(c)) return make_error_code(url_errc::malformed);
    unsigned value = 0;
    std::from_chars(s.data(), s.data() + s.size(), value);
    if (value == 0 || value > 65535) return make_error_code(url_errc::malformed);
    return static_cast<std::uint16_t>(value);
}

} // namespace

const boost::system::error_category& url_category() noexcept {
    static const url_category_impl category;
    return category;
}

std::string url::authority() const {
    std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (!default_port()) out += ":" + std::to_string(port);
    return out;
}

std::string url::to_string() const {
    return scheme + "://" + authority() + target;
}

result<url> parse_url(std::string_view text) {
    if (has_space_or_control(text)) return make_error_code(url_errc::malformed);
    const std::size_t scheme_len = scheme_length(text);
    if (scheme_len == 0) return make_error_code(url_errc::malformed);
    url u;
    for (char c : text.substr(0, scheme_len))
        u.scheme += lower(c);
    if (u.scheme != "http" && u.scheme != "https") return make_error_code(url_errc::unsupported_scheme);
    std::string_view rest = text.substr(scheme_len + 1);
    if (!rest.starts_with("//")) return make_error_code(url_errc::malformed);
    rest.remove_prefix(2);

    const auto authority_end = rest.find_first_of("/?#");
    const std::string_view authority = rest.substr(0, authority_end);
    rest = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
    if (authority.find('@') != std::string_view::npos) return make_error_code(url_errc::malformed);

    std::string_view host;
    std::string_view port;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return make_error_code(url_errc::malformed);
        host = authority.substr(1, close - 1);
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return make_error_code(url_errc::malformed);
            port = after.substr(1);
        }
        boost::system::error_code ec;
        const std::string literal(host);
        if (host.find('%') != std::string_view::npos) return make_error_code(url_errc::malformed);
        const auto v6 = boost::asio::ip::make_address_v6(literal, ec);
        if (ec) return make_error_code(url_errc::malformed);
        u.host = v6.to_string();
    } else {
        const auto colon = authority.find(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
        if (!valid_reg_name(host)) return make_error_code(url_errc::malformed);
        for (char c : host)
            u.host += lower(c);
    }
    auto p = parse_port(port, u.scheme == "https" ? 443 : 80);
    if (!p) return p.error();
    u.port = *p;

    const auto hash = rest.find('#');
    u.target = normalize_target(rest.substr(0, hash));
    return u;
}

result<url> resolve_url(const url& base, std::string_view reference) {
    if (has_space_or_control(reference)) return make_error_code(url_errc::malformed);
    reference = reference.substr(0, reference.find('#'));
    if (scheme_length(reference) != 0) return parse_url(reference);
    if (reference.starts_with("//")) {
        const std::string absolute = base.scheme + ":" + std::string(reference);
        return parse_url(absolute);
    }
    std::string target;
    const std::string_view base_target = base.target;
    const std::string_view base_path = base_target.substr(0, base_target.find('?'));
    if (reference.empty()) {
        target = base.target;
    } else if (reference.starts_with('/')) {
        target = reference;
    } else if (reference.starts_with('?')) {
        target = std::string(base_path) + std::string(reference);
    } else {
        target = std::string(base_path.substr(0, base_path.rfind('/') + 1)) + std::string(reference);
    }
    const std::string absolute = base.scheme + "://" + base.authority() + target;
    return parse_url(absolute);
}

} // namespace eelchat::net
