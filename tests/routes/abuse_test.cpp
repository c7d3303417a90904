// What one hostile account or client could do, each repeated as an attacker would, against a real
// server and database: exhaust someone else's sign-in, fill the sessions table with page views, guess
// codes forever, flood a channel, pose as the system, open sockets and connections without end.
#include "support/app_server.hpp"
#include "support/browser.hpp"
#include "support/channel_fixture.hpp"
#include "support/channel_socket.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <memory>
#include <regex>

using namespace eelchat;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using test::location;

namespace {

constexpr std::string_view origin = "http://localhost:8080"; // the fixtures' BASE_URL

// A browser that comes through the trusted proxy from `address`.
test::browser client_at(test::app_server& app, const std::string& address) {
    test::browser b(app.port());
    b.extra_headers.emplace_back("X-Forwarded-For", address);
    b.get("/signin");
    return b;
}

void trust_proxy(config& c) {
    c.trust_proxy = true;
}

std::string wrong_code(const std::string& right) {
    return right == "000000" ? "000001" : "000000";
}

} // namespace

TEST_CASE("attack 2: a client out of allowance cannot spend someone else's, and the victim still signs in",
          "[pg][abuse]") {
    test::app_server app(trust_proxy);
    auto attacker = client_at(app, "203.0.113.5");
    // The attacker spends its own allowance on junk addresses...
    for (int i = 0; i < 20; ++i)
        CHECK(location(
                  attacker.post("/auth/send-code", {{"email", "junk" + std::to_string(i) + "@example.org"}}))
                  .starts_with("/verify-code"));
    // ...then asks for the victim's address, again and again: each is refused, nothing reaches the victim.
    for (int i = 0; i < 6; ++i)
        CHECK(location(attacker.post("/auth/send-code", {{"email", "victim@example.com"}})) ==
              "/signin?error=rate-limited&email=victim%40example.com");
    CHECK(app.mail.to("victim@example.com").empty());
    // The victim, from their own network, signs in at once.
    auto victim = client_at(app, "198.51.100.7");
    test::sign_in(victim, app.mail, "victim@example.com");
    CHECK(app.mail.to("victim@example.com").size() == 1);
}

TEST_CASE("attack 2: strangers asking for one address in turn cannot lock its owner out", "[pg][abuse]") {
    test::app_server app(trust_proxy);
    // The owner signed in on this browser before.
    auto owner = client_at(app, "198.51.100.7");
    test::sign_in(owner, app.mail, "owner@example.com");
    REQUIRE_FALSE(owner.device_cookie().empty());
    owner.post("/auth/signout");
    // Many clients, each within its own allowance, use up the address's total of 20.
    int sent = 0;
    for (int c = 0; c < 6; ++c) {
        auto stranger = client_at(app, "203.0.113." + std::to_string(10 + c));
        for (int i = 0; i < 5; ++i)
            if (location(stranger.post("/auth/send-link", {{"email", "owner@example.com"}}))
                    .starts_with("/link-sent"))
                ++sent;
        // One client gets at most 5 for one address.
        CHECK(location(stranger.post("/auth/send-link", {{"email", "owner@example.com"}})) ==
              "/?error=rate-limited");
    }
    CHECK(sent == 19); // the owner's own first sign-in counted too
    auto late = client_at(app, "203.0.113.99");
    CHECK(location(late.post("/auth/send-link", {{"email", "owner@example.com"}})) == "/?error=rate-limited");
    // The owner's browser is not held to the total, and signs in.
    owner.get("/signin");
    test::sign_in(owner, app.mail, "owner@example.com");
}

TEST_CASE("attack 3: a thousand page views without a cookie store no session", "[pg][abuse]") {
    test::app_server app;
    for (int i = 0; i < 1000; ++i) {
        test::browser b(app.port());
        const char* path = i % 3 == 0 ? "/" : i % 3 == 1 ? "/signin" : "/link-sent?email=a%40example.org";
        REQUIRE(b.get(path).result() == http::status::ok);
    }
    CHECK(test::sql_value(app.db.url(), "SELECT count(*) FROM sessions") == "0");
    // The forms those pages carry still work: a visitor's CSRF token is checked without a row.
    test::browser b(app.port());
    b.get("/signin");
    CHECK(location(b.post("/auth/send-code", {{"email", "v@example.org"}})) ==
          "/verify-code?email=v%40example.org");
    test::browser forged(app.port());
    forged.get("/signin");
    auto refused = forged.post("/auth/send-code",
                               {{"email", "w@example.org"}, {"__anti-forgery-token", b.csrf()}}, false);
    CHECK(refused.result() == http::status::forbidden); // another browser's token does not match this one
    CHECK(test::sql_value(app.db.url(), "SELECT count(*) FROM sessions") == "0");
}

TEST_CASE("attack 6: wrong codes are counted per address over a day, whatever new codes are sent",
          "[pg][abuse]") {
    test::app_server app([](config& c) {
        c.trust_proxy = true;
        c.limits.signin_code_guesses_per_day = 4;
    });
    const std::string email = "dana@example.com";
    // A guesser from many networks, asking for a fresh code after each two wrong tries.
    int guesses = 0;
    for (int round = 0; round < 2; ++round) {
        auto g = client_at(app, "203.0.113." + std::to_string(round + 1));
        g.post("/auth/send-code", {{"email", email}});
        const auto code = app.mail.last_match(email, R"(\b(\d{6})\b)");
        for (int i = 0; i < 2; ++i, ++guesses)
            CHECK(location(g.post("/auth/verify-code", {{"email", email}, {"code", wrong_code(code)}})) ==
                  "/verify-code?email=dana%40example.com&error=invalid-code");
    }
    REQUIRE(guesses == 4);
    // Now even the right code is refused to a stranger: the address has had its guesses for today.
    auto g = client_at(app, "203.0.113.50");
    g.post("/auth/send-code", {{"email", email}});
    const auto code = app.mail.last_match(email, R"(\b(\d{6})\b)");
    CHECK(location(g.post("/auth/verify-code", {{"email", email}, {"code", code}})) ==
          "/verify-code?email=dana%40example.com&error=too-many-guesses");
    CHECK_THAT(g.get("/verify-code?email=dana%40example.com&error=too-many-guesses").body(),
               Catch::Contains("Sign in with an emailed link"));
    // The link still works for the owner.
    auto owner = client_at(app, "198.51.100.7");
    owner.post("/auth/send-link", {{"email", email}});
    const auto link = app.mail.last_match(email, R"((/auth/verify-link/[0-9a-f]{64}))");
    CHECK(location(owner.get(link)) == "/app");
}

TEST_CASE("attack 5: a member cannot take a name that reads as the system, and system messages are marked",
          "[pg][abuse]") {
    test::channel_fixture f;
    for (const char* name : {"System", "s y s t e m", "SYST3M", "eelchat", "User 1a2b"}) {
        CAPTURE(name);
        f.alice.get("/profile");
        CHECK(location(f.alice.post("/profile", {{"display_name", name}})) == "/profile?error=reserved");
    }
    CHECK_THAT(f.alice.get("/profile?error=reserved").body(), Catch::Contains("reserved"));
    CHECK(test::sql_value(f.app.db.url(), "SELECT count(*) FROM users WHERE display_name IS NOT NULL") ==
          "0");
    // A command's reply carries a mark no member's message has.
    REQUIRE(f.post_as(f.alice, "/list").result() == http::status::ok);
    const auto page = f.alice.get(f.url).body();
    CHECK_THAT(page, Catch::Contains("message-system"));
    CHECK_THAT(page, Catch::Contains("Posted by eelchat itself"));
    const std::regex members_message(R"(<div class="message group" id="message-1")");
    CHECK(std::regex_search(page, members_message));
}

TEST_CASE("a flood of messages gets 429 with a reason, and everything accepted is stored", "[pg][abuse]") {
    test::channel_fixture f([](config& c) { c.limits.messages_per_minute_per_user = 30; }); // bursts of 10
    int accepted = 0, refused = 0;
    std::string reason, retry_after;
    for (int i = 0; i < 15; ++i) {
        auto r = f.post_as(f.alice, "flood " + std::to_string(i));
        if (r.result() == http::status::ok) {
            ++accepted;
        } else {
            REQUIRE(r.result() == http::status::too_many_requests);
            ++refused;
            reason = r.body();
            retry_after = std::string(r[http::field::retry_after]);
        }
    }
    CHECK(accepted == 10);
    CHECK(refused == 5);
    CHECK_THAT(reason, Catch::Contains("You are sending messages too fast"));
    CHECK_FALSE(retry_after.empty());
    CHECK(test::sql_value(f.app.db.url(), "SELECT count(*) FROM messages WHERE text LIKE 'flood %'") == "10");
}

TEST_CASE("message text with bidi overrides is refused with a clear error", "[pg][abuse]") {
    test::channel_fixture f;
    auto r = f.post_as(f.alice, "see invoice\xe2\x80\xaegpj.exe");
    CHECK(r.result() == http::status::unprocessable_entity);
    CHECK_THAT(r.body(), Catch::Contains("text-direction controls"));
    CHECK(test::sql_value(f.app.db.url(), "SELECT count(*) FROM messages") == "0");
}

TEST_CASE("attack 1: one account's sockets beyond WS_MAX_PER_USER are closed with 1008 and a reason",
          "[pg][abuse][ws]") {
    test::channel_fixture f([](config& c) { c.limits.ws_per_user = 5; });
    asio::io_context ctx;
    std::vector<std::unique_ptr<test::channel_socket>> sockets;
    auto run = [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 8; ++i) {
            sockets.push_back(std::make_unique<test::channel_socket>(ctx.get_executor()));
            const unsigned status = co_await sockets.back()->connect(f.app.port(), f.url + "/connect",
                                                                     f.alice.cookie(), std::string(origin));
            CHECK(status == 101u);
        }
        for (int i = 5; i < 8; ++i) {
            auto frame = co_await sockets[i]->read();
            CHECK_FALSE(frame.has_value());
            CHECK(sockets[i]->close_code() == 1008);
            CHECK_THAT(sockets[i]->close_reason(), Catch::Contains("too many open connections"));
        }
        // Closing one gives its place back (the server lets go once the close handshake is over).
        co_await sockets[0]->close();
        for (int attempt = 0;; ++attempt) {
            test::channel_socket again(ctx.get_executor());
            const unsigned status = co_await again.connect(f.app.port(), f.url + "/connect", f.alice.cookie(),
                                                           std::string(origin));
            REQUIRE(status == 101u);
            // An accepted socket gets the next message; a refused one is closed instead.
            REQUIRE(f.post_as(f.alice, "probe " + std::to_string(attempt)).result() == http::status::ok);
            auto got = co_await again.collect(1, std::chrono::seconds(10));
            if (!again.closed()) {
                CHECK(got.size() == 1);
                co_await again.close();
                break;
            }
            REQUIRE(attempt < 50);
        }
        for (int i = 1; i < 5; ++i)
            co_await sockets[i]->close();
    };
    test::run_async(ctx, run(), std::chrono::seconds(30));
}

TEST_CASE("HTTP connections beyond HTTP_MAX_CONNECTIONS_PER_ADDRESS are closed at once", "[pg][abuse]") {
    test::app_server app([](config& c) { c.limits.http_connections_per_address = 3; });
    asio::io_context ctx;
    int answered = 0, closed = 0;
    auto run = [&]() -> asio::awaitable<void> {
        // Four connections held open by one client; which one is refused depends on which worker thread
        // accepts first, but exactly one is closed without an answer.
        std::vector<asio::ip::tcp::socket> sockets;
        const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), app.port());
        for (int i = 0; i < 4; ++i) {
            sockets.emplace_back(ctx);
            co_await sockets.back().async_connect(ep, asio::use_awaitable);
        }
        const std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        for (auto& s : sockets) {
            boost::system::error_code ec;
            co_await asio::async_write(s, asio::buffer(req), asio::redirect_error(asio::use_awaitable, ec));
            std::string got(12, '\0');
            co_await asio::async_read(s, asio::buffer(got), asio::redirect_error(asio::use_awaitable, ec));
            if (!ec && got == "HTTP/1.1 200")
                ++answered;
            else
                ++closed;
        }
    };
    test::run_async(ctx, run(), std::chrono::seconds(20));
    CHECK(answered == 3);
    CHECK(closed == 1);
}
