// Fuzz target: net/url.hpp, the parser of the feed URLs people type and of the Location headers feed
// servers send.
//
// Input: a base URL, a line break, a reference (without a line break, only the base). Every URL that
// parses or resolves must obey the header's rules (scheme, lower-case host, port, a target that is safe
// in a request line), and its stored form (to_string) must parse back to the same URL: a subscription
// is looked up by that form (feeds/feed_url.hpp's normal_form).
#include "check.hpp"

#include "net/url.hpp"

namespace {

using eelchat::net::url;

void check_url(const url& u) {
    FUZZ_CHECK(u.scheme == "http" || u.scheme == "https");
    FUZZ_CHECK(!u.host.empty());
    for (char c : u.host)
        FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
    FUZZ_CHECK(u.port != 0);
    FUZZ_CHECK(u.target.starts_with('/'));
    for (unsigned char c : u.target) {
        FUZZ_CHECK(c > 0x20 && c < 0x7f); // percent-encoded beyond ASCII, never a space or control
        FUZZ_CHECK(std::string_view("\"<>\\^`{|}#").find(static_cast<char>(c)) == std::string_view::npos);
    }
    const std::string text = u.to_string();
    const auto again = eelchat::net::parse_url(text);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == u);
    FUZZ_CHECK(again->to_string() == text);
    // An empty reference is the base itself, and the base's own text resolves to it.
    const auto self = eelchat::net::resolve_url(u, "");
    FUZZ_CHECK(self.has_value() && *self == u);
    const auto absolute = eelchat::net::resolve_url(u, text);
    FUZZ_CHECK(absolute.has_value() && *absolute == u);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in = fuzz::as_text(data, size);
    const std::string_view base_text = fuzz::next_line(in);
    const std::string_view reference = in;

    auto base = eelchat::net::parse_url(base_text);
    if (base)
        check_url(*base);
    else
        FUZZ_CHECK(base.error() == eelchat::net::url_errc::malformed ||
                   base.error() == eelchat::net::url_errc::unsupported_scheme);

    // The reference is resolved against the base when it parsed, else against a fixed one, so it is
    // fuzzed either way.
    static const url fallback = *eelchat::net::parse_url("https://example.com:8443/a/b/c?q=1");
    auto resolved = eelchat::net::resolve_url(base ? *base : fallback, reference);
    if (resolved) check_url(*resolved);
    return 0;
}
