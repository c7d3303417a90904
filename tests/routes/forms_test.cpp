#include "routes/forms.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace eelchat::routes;
using namespace std::chrono_literals;

TEST_CASE("url_decode decodes escapes in either case and '+' only when asked", "[unit][forms]") {
    CHECK(url_decode("a%20b%2Fc%2fd", false) == "a b/c/d");
    CHECK(url_decode("a+b", true) == "a b");
    CHECK(url_decode("a+b", false) == "a+b");
    CHECK(url_decode("%2B", true) == "+"); // an encoded plus stays a plus
    CHECK(url_decode("", true) == "");
    CHECK(url_decode("%C3%A9", false) == "\xc3\xa9");
    CHECK(url_decode("%00", false) == std::string(1, '\0'));
    CHECK(url_decode("%25", false) == "%"); // decoded once, not twice
    CHECK(url_decode("%2541", false) == "%41");
}

TEST_CASE("url_decode refuses truncated and invalid escapes", "[unit][forms]") {
    for (std::string_view bad : {"%", "%2", "a%", "a%4", "%zz", "%2g", "%g2", "%%", "% 20", "%-1", "100%"})
        CHECK_FALSE(url_decode(bad, true).has_value());
}

TEST_CASE("url_encode keeps unreserved characters and escapes everything else in uppercase",
          "[unit][forms]") {
    CHECK(url_encode("AZaz09-._~") == "AZaz09-._~");
    CHECK(url_encode("a b&c=d/e?f+g%h#") == "a%20b%26c%3Dd%2Fe%3Ff%2Bg%25h%23");
    CHECK(url_encode("\xc3\xa9") == "%C3%A9");
    CHECK(url_encode(std::string(1, '\0')) == "%00");
    CHECK(url_encode("") == "");
    std::string all;
    for (int i = 0; i < 256; ++i)
        all += static_cast<char>(i);
    CHECK(url_decode(url_encode(all), false) == all);
    CHECK(url_decode(url_encode(all), true) == all);
}

TEST_CASE("form_data reads fields from a body or query string", "[unit][forms]") {
    auto f = form_data::parse("email=a%40b.co&name=Ann+Lee&note=1%2B1%3D2&empty=&bare");
    REQUIRE(f.has_value());
    CHECK(f->get("email") == "a@b.co");
    CHECK(f->get("name") == "Ann Lee");
    CHECK(f->get("note") == "1+1=2");
    CHECK(f->get("empty") == "");
    CHECK(f->has("empty"));
    CHECK(f->get("bare") == "");
    CHECK_FALSE(f->has("missing"));
    CHECK_FALSE(f->get("Email").has_value()); // names are case-sensitive
}

TEST_CASE("form_data keys are decoded, and the first of repeated keys wins", "[unit][forms]") {
    auto f = form_data::parse("role=member&a+b=1&c%5Bd%5D=2&role=admin");
    REQUIRE(f.has_value());
    CHECK(f->get("role") == "member");
    CHECK(f->get("a b") == "1");
    CHECK(f->get("c[d]") == "2");
}

TEST_CASE("form_data values may contain '=' and skip empty segments", "[unit][forms]") {
    auto f = form_data::parse("&a=b=c&&d=%3D&");
    REQUIRE(f.has_value());
    CHECK(f->get("a") == "b=c");
    CHECK(f->get("d") == "=");
    auto empty = form_data::parse("");
    REQUIRE(empty.has_value());
    CHECK_FALSE(empty->has(""));
}

TEST_CASE("form_data refuses malformed input", "[unit][forms]") {
    CHECK_FALSE(form_data::parse("a=%").has_value());
    CHECK_FALSE(form_data::parse("a=%4").has_value());
    CHECK_FALSE(form_data::parse("a=1&b=%zz").has_value());
    CHECK_FALSE(form_data::parse("%=1").has_value());
    CHECK_FALSE(form_data::parse("=value").has_value());
    CHECK_FALSE(form_data::parse("a=1&=2").has_value());
}

TEST_CASE("form_data takes at most 100 fields", "[unit][forms]") {
    auto fields = [](int n) {
        std::string s;
        for (int i = 0; i < n; ++i)
            s += (i ? "&f" : "f") + std::to_string(i) + "=" + std::to_string(i);
        return s;
    };
    auto hundred = form_data::parse(fields(100));
    REQUIRE(hundred.has_value());
    CHECK(hundred->get("f99") == "99");
    CHECK_FALSE(form_data::parse(fields(101)).has_value());
    CHECK_FALSE(form_data::parse(fields(100) + "&f0=again").has_value()); // repeats count too
    CHECK(form_data::parse(fields(100) + "&&&").has_value());             // empty segments do not
}

TEST_CASE("cookie_value finds a cookie whatever the spacing", "[unit][forms]") {
    CHECK(cookie_value("a=1; b=2", "a") == "1");
    CHECK(cookie_value("a=1; b=2", "b") == "2");
    CHECK(cookie_value("a=1;b=2", "b") == "2");
    CHECK(cookie_value("  a = 1 ;\tb\t=\t2\t", "b") == "2");
    CHECK(cookie_value("a=1;;  ; b=2;", "b") == "2");
    CHECK(cookie_value("eelchat_session=abc123", "eelchat_session") == "abc123");
    CHECK(cookie_value("x=a=b", "x") == "a=b");
    CHECK(cookie_value("x=", "x") == "");
}

TEST_CASE("cookie_value matches whole names and returns the first match", "[unit][forms]") {
    CHECK_FALSE(cookie_value("", "a").has_value());
    CHECK_FALSE(cookie_value("ab=1", "a").has_value());
    CHECK_FALSE(cookie_value("xa=1", "a").has_value());
    CHECK_FALSE(cookie_value("A=1", "a").has_value());
    CHECK_FALSE(cookie_value("a", "a").has_value());
    CHECK_FALSE(cookie_value("b=a=1", "a").has_value());
    CHECK_FALSE(cookie_value("a=1", "").has_value());
    CHECK(cookie_value("a=first; a=second", "a") == "first");
}

TEST_CASE("cookie_value strips the double quotes around a quoted value", "[unit][forms]") {
    CHECK(cookie_value("a=\"quoted\"; b=2", "a") == "quoted");
    CHECK(cookie_value("a=\"\"", "a") == "");
    CHECK(cookie_value("a=\"", "a") == "\"");
    CHECK(cookie_value("a=\"half", "a") == "\"half");
}

TEST_CASE("set_cookie_header writes the session cookie attributes", "[unit][forms]") {
    cookie_options c{.name = "eelchat_session", .value = "abc", .max_age = 60 * 24h, .secure = true};
    CHECK(set_cookie_header(c) ==
          "eelchat_session=abc; Path=/; Max-Age=5184000; HttpOnly; SameSite=Lax; Secure");

    cookie_options del{.name = "eelchat_session", .value = "", .max_age = 0s, .secure = false};
    CHECK(set_cookie_header(del) == "eelchat_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");

    cookie_options csrf{.name = "csrf",
                        .value = "t0k3n",
                        .max_age = 3600s,
                        .secure = true,
                        .http_only = false,
                        .same_site = "Strict",
                        .path = "/community"};
    CHECK(set_cookie_header(csrf) == "csrf=t0k3n; Path=/community; Max-Age=3600; SameSite=Strict; Secure");
}

TEST_CASE("set_cookie_header refuses anything that would break the header", "[unit][forms]") {
    auto with = [](auto change) {
        cookie_options c{.name = "n", .value = "v", .max_age = 10s, .secure = true};
        change(c);
        return c;
    };
    CHECK_NOTHROW(set_cookie_header(with([](cookie_options&) {})));
    std::vector<std::string> bad_values = {
        "a;b", "a b", "a,b", "a\"b", "a\\b", "a\r\nSet-Cookie: x=y", std::string("a\0", 2), "\xc3\xa9"};
    for (const auto& bad_value : bad_values)
        CHECK_THROWS_AS(set_cookie_header(with([&](cookie_options& c) { c.value = bad_value; })),
                        std::invalid_argument);
    for (std::string bad_name : {"", "a=b", "a b", "a;b", "a\nb", "a:b", "(a)"})
        CHECK_THROWS_AS(set_cookie_header(with([&](cookie_options& c) { c.name = bad_name; })),
                        std::invalid_argument);
    CHECK_THROWS_AS(set_cookie_header(with([](cookie_options& c) { c.max_age = -1s; })),
                    std::invalid_argument);
    CHECK_THROWS_AS(set_cookie_header(with([](cookie_options& c) { c.same_site = "lax; Domain=evil"; })),
                    std::invalid_argument);
    CHECK_THROWS_AS(set_cookie_header(with([](cookie_options& c) { c.path = "x"; })), std::invalid_argument);
    CHECK_THROWS_AS(set_cookie_header(with([](cookie_options& c) { c.path = "/a; Domain=evil"; })),
                    std::invalid_argument);
    CHECK_THROWS_AS(set_cookie_header(with([](cookie_options& c) {
                        c.same_site = "None";
                        c.secure = false;
                    })),
                    std::invalid_argument);
    CHECK_NOTHROW(set_cookie_header(with([](cookie_options& c) { c.same_site = "None"; })));
}
