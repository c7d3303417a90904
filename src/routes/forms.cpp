#include "routes/forms.hpp"

#include <stdexcept>

namespace eelchat::routes {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

// RFC 7230 tchar: what a cookie name may contain.
bool is_token_char(char c) {
    if (is_unreserved(c)) return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '^':
    case '`':
    case '|':
        return true;
    default:
        return false;
    }
}

// RFC 6265 cookie-octet: printable ASCII except space, '"', ',', ';' and '\'.
bool is_cookie_octet(char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}

std::string_view trim_spaces(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

} // namespace

std::optional<std::string> url_decode(std::string_view s, bool plus_as_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            int hi = hex_value(s[i + 1]);
            int lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_as_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

std::string url_encode(std::string_view s) {
    constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (is_unreserved(c)) {
            out += c;
        } else {
            auto u = static_cast<unsigned char>(c);
            out += '%';
            out += digits[u >> 4];
            out += digits[u & 0x0f];
        }
    }
    return out;
}

std::optional<form_data> form_data::parse(std::string_view s) {
    form_data form;
    while (!s.empty()) {
        auto amp = s.find('&');
        std::string_view segment = s.substr(0, amp);
        s = amp == std::string_view::npos ? std::string_view() : s.substr(amp + 1);
        if (segment.empty()) continue;

        if (form.fields_.size() == max_fields) return std::nullopt;
        auto eq = segment.find('=');
        auto key = url_decode(segment.substr(0, eq), true);
        auto value =
            url_decode(eq == std::string_view::npos ? std::string_view() : segment.substr(eq + 1), true);
        if (!key || !value || key->empty()) return std::nullopt;
        form.fields_.emplace_back(std::move(*key), std::move(*value));
    }
    return form;
}

std::optional<std::string_view> form_data::get(std::string_view key) const {
    for (const auto& [k, v] : fields_)
        if (k == key) return std::string_view(v);
    return std::nullopt;
}

std::vector<std::string_view> form_data::get_all(std::string_view key) const {
    std::vector<std::string_view> out;
    for (const auto& [k, v] : fields_)
        if (k == key) out.emplace_back(v);
    return out;
}

std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name) {
    if (name.empty()) return std::nullopt;
    while (!header.empty()) {
        auto semi = header.find(';');
        std::string_view pair = header.substr(0, semi);
        header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);

        auto eq = pair.find('=');
        if (eq == std::string_view::npos) continue;
        if (trim_spaces(pair.substr(0, eq)) != name) continue;
        std::string_view value = trim_spaces(pair.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        return value;
    }
    return std::nullopt;
}

std::string set_cookie_header(const cookie_options& c) {
    if (c.name.empty()) throw std::invalid_argument("cookie name is empty");
    for (char ch : c.name)
        if (!is_token_char(ch)) throw std::invalid_argument("cookie name is not an HTTP token");
    for (char ch : c.value)
        if (!is_cookie_octet(ch))
            throw std::invalid_argument("cookie value has a character outside cookie-octet");
    if (c.max_age.count() < 0) throw std::invalid_argument("cookie Max-Age is negative");
    if (c.same_site != "Strict" && c.same_site != "Lax" && c.same_site != "None")
        throw std::invalid_argument("cookie SameSite must be Strict, Lax or None");
    // Browsers drop a SameSite=None cookie that is not also Secure; fail loudly instead.
    if (c.same_site == "None" && !c.secure) throw std::invalid_argument("cookie SameSite=None needs Secure");
    if (c.path.empty() || c.path.front() != '/')
        throw std::invalid_argument("cookie Path must start with '/'");
    for (char ch : c.path) {
        auto u = static_cast<unsigned char>(ch);
        if (u <= 0x20 || u >= 0x7f || ch == ';')
            throw std::invalid_argument("cookie Path has a forbidden character");
    }

    std::string out;
    out.reserve(c.name.size() + c.value.size() + c.path.size() + 64);
    out.append(c.name).append("=").append(c.value);
    out.append("; Path=").append(c.path);
    out.append("; Max-Age=").append(std::to_string(c.max_age.count()));
    if (c.http_only) out.append("; HttpOnly");
    out.append("; SameSite=").append(c.same_site);
    if (c.secure) out.append("; Secure");
    return out;
}

} // namespace eelchat::routes
