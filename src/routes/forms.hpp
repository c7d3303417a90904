// Reading what browsers send besides the path: percent-encoding, urlencoded form bodies and query strings,
// and cookies in both directions. Pure functions over strings, so tests need no request object.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eelchat::routes {

// Decodes %XX escapes (either hex case) and, when `plus_as_space`, '+' as ' '. Nullopt when a '%' is not
// followed by two hex digits. The result is raw bytes: it may hold NUL or invalid UTF-8, so text fields
// still go through text::valid_utf8 / check_message_text before use.
std::optional<std::string> url_decode(std::string_view s, bool plus_as_space);

// Percent-encodes a URL component: the unreserved characters A-Z a-z 0-9 - . _ ~ stay, every other byte
// becomes %XX with uppercase hex (so '/', '?', '&', '=' and ' ' are all escaped).
std::string url_encode(std::string_view s);

// The fields of an application/x-www-form-urlencoded body or a query string (without its leading '?').
class form_data {
public:
    // More fields than this and the input is refused rather than stored: no request needs more.
    static constexpr std::size_t max_fields = 100;

    // Nullopt when malformed: a bad %-escape, a field with an empty name ("=x"), or more than
    // max_fields fields. Empty input is an empty form; empty segments ("a=1&&b=2", a trailing '&') are
    // skipped; "a" alone is the field a with an empty value.
    static std::optional<form_data> parse(std::string_view s);

    // The value of the first field named `key` (later repeats are ignored, so a client cannot override a
    // value by appending to the body). The view lives as long as this form_data.
    std::optional<std::string_view> get(std::string_view key) const;
    bool has(std::string_view key) const { return get(key).has_value(); }
    // Every value of `key`, in order (a group of checkboxes).
    std::vector<std::string_view> get_all(std::string_view key) const;

private:
    std::vector<std::pair<std::string, std::string>> fields_;
};

// The value of cookie `name` in a Cookie request header ("a=1; b=2"), the first one if it is repeated.
// Spaces and tabs around names, values and separators are tolerated; a value in double quotes is returned
// without them. Nullopt when absent.
std::optional<std::string_view> cookie_value(std::string_view cookie_header, std::string_view name);

struct cookie_options {
    std::string name;
    std::string value;
    std::chrono::seconds max_age{}; // 0 deletes the cookie
    bool secure{};                  // true behind HTTPS; browsers then never send it over plain HTTP
    bool http_only = true;
    std::string same_site = "Lax"; // "Strict", "Lax" or "None" (None needs secure)
    std::string path = "/";
};

// A Set-Cookie header value, e.g. "eelchat_session=abc; Path=/; Max-Age=5184000; HttpOnly; SameSite=Lax;
// Secure". Throws std::invalid_argument when a part would break the header or be ignored by browsers (a
// name that is not a token, a value with characters outside RFC 6265 cookie-octets, a negative max_age,
// an unknown SameSite, SameSite=None without Secure, a path not starting with '/'): those are bugs in the
// caller, never user input.
std::string set_cookie_header(const cookie_options& c);

} // namespace eelchat::routes
