// Passwordless sign-in as people use it: links, codes, their limits, and the session cookie.
#include "support/app_server.hpp"
#include "support/browser.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;
namespace http = boost::beast::http;

namespace {

using test::location;

// The path of the emailed link, "/auth/verify-link/<token>".
std::string link_path(test::app_server& app, const std::string& email) {
    return app.mail.last_match(email, R"(http://localhost:\d+(/auth/verify-link/[0-9a-f]{64}))");
}

} // namespace

TEST_CASE("a sign-in link signs in the browser that asked for it, once", "[pg][auth]") {
    test::app_server app;
    test::browser b(app.port());
    auto landing = b.get("/");
    REQUIRE(landing.result() == http::status::ok);
    const std::string anonymous_cookie = b.cookie();
    REQUIRE(!anonymous_cookie.empty());

    auto sent = b.post("/auth/send-link", {{"email", "  Alice@Example.COM "}});
    CHECK(location(sent) == "/link-sent?email=alice%40example.com");
    CHECK_THAT(b.get(location(sent)).body(), Catch::Contains("<b>alice@example.com</b>"));
    auto path = link_path(app, "alice@example.com");

    auto in = b.get(path);
    CHECK(location(in) == "/app");
    CHECK(b.cookie() != anonymous_cookie); // a fresh session token after sign-in
    auto shell = b.get("/app");
    CHECK(shell.result() == http::status::ok);
    CHECK_THAT(shell.body(), Catch::Contains("alice@example.com"));
    CHECK_THAT(shell.body(), Catch::Contains("Select a community, or create a new one."));

    // Signed in, the landing page sends you into the app; the link cannot be used again.
    CHECK(location(b.get("/")) == "/app");
    test::browser again(app.port());
    again.get("/");
    CHECK(location(again.get(path)) == "/signin?error=invalid-link");
}

TEST_CASE("a link opened in another browser asks for the email first", "[pg][auth]") {
    test::app_server app;
    test::browser asker(app.port()), other(app.port());
    asker.get("/");
    asker.post("/auth/send-link", {{"email", "bob@example.com"}});
    auto path = link_path(app, "bob@example.com");
    const std::string token = path.substr(path.rfind('/') + 1);

    auto r = other.get(path);
    CHECK(location(r) == "/verify-link?token=" + token);
    auto page = other.get(location(r));
    CHECK_THAT(page.body(), Catch::Contains("different device or browser"));

    auto wrong = other.post("/auth/verify-link", {{"token", token}, {"email", "mallory@example.com"}});
    CHECK(location(wrong) == "/verify-link?error=incorrect-email&token=" + token);
    CHECK(location(other.get("/app")) == "/?error=not-signed-in");

    auto right = other.post("/auth/verify-link", {{"token", token}, {"email", "BOB@example.com"}});
    CHECK(location(right) == "/app");
    CHECK(other.get("/app").result() == http::status::ok);
}

TEST_CASE("expired, malformed and unknown links are refused", "[pg][auth]") {
    test::app_server app;
    test::browser b(app.port());
    b.get("/");
    b.post("/auth/send-link", {{"email", "carol@example.com"}});
    auto path = link_path(app, "carol@example.com");
    test::sql_exec(app.db.url(), "UPDATE sign_in_links SET expires_at = now() - interval '1 second'");
    CHECK(location(b.get(path)) == "/signin?error=invalid-link");
    CHECK(location(b.get("/auth/verify-link/not-a-token")) == "/signin?error=invalid-link");
    CHECK(location(b.get("/auth/verify-link/" + std::string(64, 'a'))) == "/signin?error=invalid-link");
    CHECK_THAT(b.get("/signin?error=invalid-link").body(),
               Catch::Contains("Invalid or expired link. Sign in to get a new link."));
}

TEST_CASE("an invalid email gets a clear error and sends nothing", "[pg][auth]") {
    test::app_server app;
    test::browser b(app.port());
    b.get("/");
    for (auto bad : {"", "not an email", "a@b", "x@y..z", "<script>@x.co"}) {
        INFO(bad);
        CHECK(location(b.post("/auth/send-link", {{"email", bad}})) == "/?error=invalid-email");
    }
    CHECK(app.mail.count() == 0);
    CHECK_THAT(b.get("/?error=invalid-email").body(),
               Catch::Contains("Invalid email. Try again with a different address."));
}

TEST_CASE("a code works for three minutes and three tries", "[pg][auth]") {
    test::app_server app;
    test::browser b(app.port());
    b.get("/signin");
    CHECK(location(b.post("/auth/send-code", {{"email", "dan@example.com"}})) ==
          "/verify-code?email=dan%40example.com");
    auto mails = app.mail.to("dan@example.com");
    REQUIRE(mails.size() == 1);
    CHECK(mails[0].subject == "Sign up for eelchat");
    auto code = app.mail.last_match("dan@example.com", R"(\b(\d{6})\b)");
    std::string wrong = code == "000000" ? "111111" : "000000";

    for (int i = 0; i < 3; ++i)
        CHECK(location(b.post("/auth/verify-code", {{"email", "dan@example.com"}, {"code", wrong}})) ==
              "/verify-code?email=dan%40example.com&error=invalid-code");
    // Three wrong tries used the code up: even the right one is refused now.
    CHECK(location(b.post("/auth/verify-code", {{"email", "dan@example.com"}, {"code", code}})) ==
          "/verify-code?email=dan%40example.com&error=code-expired");

    b.get("/verify-code?email=dan%40example.com");
    b.post("/auth/send-code", {{"email", "dan@example.com"}});
    auto fresh = app.mail.last_match("dan@example.com", R"(\b(\d{6})\b)");
    test::sql_exec(app.db.url(), "UPDATE sign_in_codes SET expires_at = now() - interval '1 second'");
    CHECK(location(b.post("/auth/verify-code", {{"email", "dan@example.com"}, {"code", fresh}})) ==
          "/verify-code?email=dan%40example.com&error=code-expired");

    b.post("/auth/send-code", {{"email", "dan@example.com"}});
    auto good = app.mail.last_match("dan@example.com", R"(\b(\d{6})\b)");
    CHECK(location(b.post("/auth/verify-code", {{"email", "dan@example.com"}, {"code", good}})) == "/app");
    CHECK(b.get("/app").result() == http::status::ok);

    // A returning user is told it is a sign-in.
    test::browser later(app.port());
    later.get("/signin");
    later.post("/auth/send-code", {{"email", "dan@example.com"}});
    CHECK(app.mail.to("dan@example.com").back().subject == "Sign in to eelchat");
}

TEST_CASE("sign-in emails are rate-limited per address", "[pg][auth]") {
    test::app_server app;
    test::browser b(app.port());
    b.get("/signin");
    for (int i = 0; i < 5; ++i)
        CHECK(location(b.post("/auth/send-code", {{"email", "erin@example.com"}})) ==
              "/verify-code?email=erin%40example.com");
    auto limited = b.post("/auth/send-code", {{"email", "erin@example.com"}});
    CHECK(location(limited) == "/signin?error=rate-limited&email=erin%40example.com");
    CHECK(app.mail.to("erin@example.com").size() == 5);
    CHECK_THAT(b.get(location(limited)).body(), Catch::Contains("Too many sign-in emails"));
    // Another address from the same client is still fine (its own limit is 20 per quarter hour).
    CHECK(location(b.post("/auth/send-link", {{"email", "frank@example.com"}})) ==
          "/link-sent?email=frank%40example.com");
}

TEST_CASE("the session cookie is HttpOnly, SameSite=Lax, 60 days, and Secure behind https", "[pg][auth]") {
    auto cookie_of = [](test::app_server& app) {
        test::browser b(app.port());
        auto r = b.get("/");
        return std::string(r[http::field::set_cookie]);
    };
    test::app_server plain;
    auto c = cookie_of(plain);
    CHECK_THAT(c, Catch::StartsWith("eelchat_session="));
    CHECK_THAT(c, Catch::Contains("HttpOnly"));
    CHECK_THAT(c, Catch::Contains("SameSite=Lax"));
    CHECK_THAT(c, Catch::Contains("Max-Age=5184000"));
    CHECK_THAT(c, !Catch::Contains("Secure"));

    test::app_server secure([](config& cfg) { cfg.base_url = "https://chat.example.org"; });
    CHECK_THAT(cookie_of(secure), Catch::Contains("Secure"));
}

TEST_CASE("served over https, every answer tells the browser to use https only (HSTS)", "[pg][auth]") {
    test::app_server plain;
    CHECK(test::browser(plain.port()).get("/")[http::field::strict_transport_security].empty());
    test::app_server secure([](config& cfg) { cfg.base_url = "https://chat.example.org"; });
    test::browser b(secure.port());
    CHECK(b.get("/")[http::field::strict_transport_security] == "max-age=31536000");
    CHECK(b.get("/app")[http::field::strict_transport_security] == "max-age=31536000"); // a redirect too
}
