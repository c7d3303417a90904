// Fuzz target: routes/forms.hpp, how the server reads percent-encoding, form bodies, query strings and
// cookies, and writes Set-Cookie.
//
// Input: lines. Line 1 is decoded, encoded and parsed as a form; line 2 is a Cookie header and line 3 the
// cookie looked up in it; lines 4-8 are a cookie to set (name, value, path, SameSite, then flags: the
// first byte's bits say Secure, HttpOnly and a negative Max-Age, digits after it the Max-Age). Besides,
// every pair of lines becomes a form field that is encoded and must parse back.
#include "check.hpp"

#include "routes/forms.hpp"

#include <charconv>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace eelchat::routes;

bool hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool upper_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}
bool unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

// Whether every '%' starts an escape of two hex digits.
bool escapes_ok(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') continue;
        if (s.size() - i < 3 || !hex(s[i + 1]) || !hex(s[i + 2])) return false;
        i += 2;
    }
    return true;
}

void check_decode_encode(std::string_view s) {
    for (const bool plus : {false, true}) {
        const auto decoded = url_decode(s, plus);
        FUZZ_CHECK(decoded.has_value() == escapes_ok(s));
        if (decoded) FUZZ_CHECK(decoded->size() <= s.size());
        if (decoded && !plus && s.find('%') == std::string_view::npos) FUZZ_CHECK(*decoded == s);
    }
    const std::string encoded = url_encode(s);
    std::size_t escaped = 0;
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        if (unreserved(encoded[i])) continue;
        FUZZ_CHECK(encoded[i] == '%' && i + 2 < encoded.size() && upper_hex(encoded[i + 1]) &&
                   upper_hex(encoded[i + 2]));
        i += 2;
        ++escaped;
    }
    FUZZ_CHECK(encoded.size() == s.size() + 2 * escaped);
    FUZZ_CHECK(url_decode(encoded, false) == s);
    FUZZ_CHECK(url_decode(encoded, true) == s);
}

// The '&'-separated, non-empty segments of a form.
std::vector<std::string_view> segments(std::string_view s) {
    std::vector<std::string_view> out;
    for (std::size_t start = 0; start <= s.size();) {
        const auto amp = std::min(s.find('&', start), s.size());
        if (amp > start) out.push_back(s.substr(start, amp - start));
        start = amp + 1;
    }
    return out;
}

void check_form(std::string_view s) {
    const auto form = form_data::parse(s);
    const auto segs = segments(s);
    bool well_formed = segs.size() <= form_data::max_fields;
    for (const auto seg : segs) {
        const auto eq = seg.find('=');
        const auto key = url_decode(seg.substr(0, eq), true);
        const auto value = url_decode(eq == std::string_view::npos ? "" : seg.substr(eq + 1), true);
        if (!key || !value || key->empty()) {
            well_formed = false;
            continue;
        }
        if (!form) continue;
        // The first field of a name wins: its value is the one get() returns.
        FUZZ_CHECK(form->has(*key));
        bool first = true;
        for (const auto earlier : segs) {
            if (earlier.data() == seg.data()) break;
            if (url_decode(earlier.substr(0, earlier.find('=')), true) == key) first = false;
        }
        if (first) FUZZ_CHECK(form->get(*key) == *value);
    }
    FUZZ_CHECK(form.has_value() == well_formed);
}

// Fields of arbitrary bytes, encoded as a browser would, parse back to themselves.
void check_form_round_trip(const std::vector<std::string_view>& lines) {
    std::vector<std::pair<std::string_view, std::string_view>> fields;
    std::string body;
    for (std::size_t i = 0; i + 1 < lines.size(); i += 2) {
        if (lines[i].empty()) continue;
        fields.emplace_back(lines[i], lines[i + 1]);
        if (!body.empty()) body += '&';
        body += url_encode(lines[i]) + "=" + url_encode(lines[i + 1]);
    }
    const auto form = form_data::parse(body);
    FUZZ_CHECK(form.has_value() == (fields.size() <= form_data::max_fields));
    if (!form) return;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        bool first = true;
        for (std::size_t j = 0; j < i; ++j)
            first = first && fields[j].first != fields[i].first;
        if (first) FUZZ_CHECK(form->get(fields[i].first) == fields[i].second);
    }
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

void check_cookie(std::string_view header, std::string_view name) {
    const auto value = cookie_value(header, name);
    if (name.empty()) {
        FUZZ_CHECK(!value);
        return;
    }
    // The first "name=..." pair, split at ';'.
    std::optional<std::string_view> pair;
    for (std::size_t start = 0; start <= header.size() && !pair;) {
        const auto semi = std::min(header.find(';', start), header.size());
        const auto p = header.substr(start, semi - start);
        const auto eq = p.find('=');
        if (eq != std::string_view::npos && trim(p.substr(0, eq)) == name) pair = p;
        start = semi + 1;
    }
    FUZZ_CHECK(value.has_value() == pair.has_value());
    if (!value) return;
    // A view into that pair's value, without ';', quotes or the spaces around it.
    FUZZ_CHECK(value->data() >= pair->data() && value->data() + value->size() <= pair->data() + pair->size());
    FUZZ_CHECK(value->find(';') == std::string_view::npos);
    const auto raw = trim(pair->substr(pair->find('=') + 1));
    FUZZ_CHECK(*value == raw || "\"" + std::string(*value) + "\"" == raw);
}

bool token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!unreserved(c) && std::string_view("!#$%&'*+^`|").find(c) == std::string_view::npos) return false;
    return true;
}
bool cookie_octets(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x21 || c > 0x7e || c == '"' || c == ',' || c == ';' || c == '\\') return false;
    return true;
}

void check_set_cookie(const cookie_options& c) {
    std::string header;
    try {
        header = set_cookie_header(c);
    } catch (const std::invalid_argument&) {
        return; // refused: a bug of the caller, never sent
    }
    // Accepted: every documented rule held, and the header is one line of printable ASCII.
    FUZZ_CHECK(token(c.name));
    FUZZ_CHECK(cookie_octets(c.value));
    FUZZ_CHECK(c.max_age.count() >= 0);
    FUZZ_CHECK(c.same_site == "Strict" || c.same_site == "Lax" || (c.same_site == "None" && c.secure));
    FUZZ_CHECK(c.path.starts_with('/'));
    for (unsigned char ch : header)
        FUZZ_CHECK(ch >= 0x20 && ch < 0x7f);
    FUZZ_CHECK(header.starts_with(c.name + "=" + c.value + "; Path=" + c.path + "; "));
    FUZZ_CHECK(header.find("; Max-Age=" + std::to_string(c.max_age.count())) != std::string::npos);
    FUZZ_CHECK((header.find("; HttpOnly") != std::string::npos) == c.http_only);
    FUZZ_CHECK(header.ends_with("; Secure") == c.secure);
    // What the browser sends back reads as the value that was set.
    FUZZ_CHECK(cookie_value(header, c.name) == c.value);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string_view> lines;
    for (std::string_view in = fuzz::as_text(data, size); !in.empty();)
        lines.push_back(fuzz::next_line(in));
    const auto line = [&](std::size_t i) { return i < lines.size() ? lines[i] : std::string_view{}; };

    check_decode_encode(line(0));
    check_form(line(0));
    check_form_round_trip(lines);
    check_cookie(line(1), line(2));

    cookie_options c;
    c.name = line(3);
    c.value = line(4);
    c.path = line(5);
    c.same_site = line(6);
    const std::string_view flags = line(7);
    if (!flags.empty()) {
        c.secure = flags[0] & 1;
        c.http_only = flags[0] & 2;
        long long seconds = 0;
        std::from_chars(flags.data() + 1, flags.data() + flags.size(), seconds);
        if (flags[0] & 4 && seconds > 0) seconds = -seconds;
        c.max_age = std::chrono::seconds(seconds);
    }
    check_set_cookie(c);
    return 0;
}
