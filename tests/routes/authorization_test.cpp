// Who may use which route: the whole table of the app issue, walked with four browsers (anonymous,
// signed in but not a member, member, admin) over real sockets and a real PostgreSQL.
#include "support/app_server.hpp"
#include "support/browser.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;
namespace http = boost::beast::http;

namespace {

using test::location;

// The id at the end of a redirect to "/community/<id>" or ".../channel/<id>".
std::string last_segment(const test::response& r) {
    auto l = location(r);
    return l.substr(l.rfind('/') + 1);
}

struct world {
    test::app_server app;
    test::browser anon{app.port()}, outsider{app.port()}, member{app.port()}, admin{app.port()};
    std::string community, channel, other_channel;

    world() {
        anon.get("/"); // an anonymous session, so its posts pass CSRF and reach the sign-in check
        test::sign_in(admin, app.mail, "admin@example.com");
        test::sign_in(member, app.mail, "member@example.com");
        test::sign_in(outsider, app.mail, "outsider@example.com");
        auto c = admin.post("/community");
        REQUIRE(c.result() == http::status::see_other);
        community = last_segment(c);
        auto ch = admin.post("/community/" + community + "/channel");
        REQUIRE(ch.result() == http::status::see_other);
        channel = last_segment(ch);
        REQUIRE(member.post("/community/" + community + "/join").result() == http::status::see_other);
        // A channel in a community the others have nothing to do with.
        auto oc = outsider.post("/community");
        auto och = outsider.post("/community/" + last_segment(oc) + "/channel");
        other_channel = last_segment(och);
    }
    std::string c_url() const { return "/community/" + community; }
    std::string ch_url() const { return c_url() + "/channel/" + channel; }
};

} // namespace

TEST_CASE("reading pages: anonymous, outsider, member and admin", "[pg][routes][authz]") {
    world w;
    for (auto* b : {&w.anon}) {
        for (auto path : {std::string("/app"), w.c_url(), w.ch_url(), std::string("/profile"),
                          w.ch_url() + "/messages?before=5"}) {
            auto r = b->get(path);
            INFO(path);
            CHECK(r.result() == http::status::see_other);
            CHECK(location(r) == "/?error=not-signed-in");
        }
    }
    auto landing = w.anon.get("/?error=not-signed-in");
    CHECK_THAT(landing.body(), Catch::Contains("You must be signed in to view that page."));

    // Signed in, not a member: the community shows its title and a join button; the channel sends them there.
    auto join_page = w.outsider.get(w.c_url());
    CHECK(join_page.result() == http::status::ok);
    CHECK_THAT(join_page.body(), Catch::Contains("Join this community"));
    auto ch = w.outsider.get(w.ch_url());
    CHECK(ch.result() == http::status::see_other);
    CHECK(location(ch) == w.c_url());
    CHECK(w.outsider.get(w.ch_url() + "/messages?before=5").result() == http::status::see_other);

    for (auto* b : {&w.member, &w.admin}) {
        auto c = b->get(w.c_url());
        CHECK(c.result() == http::status::ok);
        CHECK_THAT(c.body(), !Catch::Contains("Join this community"));
        auto page = b->get(w.ch_url());
        CHECK(page.result() == http::status::ok);
        CHECK_THAT(page.body(), Catch::Contains("id=\"messages\""));
        CHECK(b->get(w.ch_url() + "/messages?before=5").result() == http::status::ok);
        CHECK(b->get("/app").result() == http::status::ok);
        CHECK(b->get("/profile").result() == http::status::ok);
    }
    // Only admins see the channel controls.
    CHECK_THAT(w.admin.get(w.ch_url()).body(), Catch::Contains("New channel"));
    CHECK_THAT(w.member.get(w.ch_url()).body(), !Catch::Contains("New channel"));
    // The sidebar's delete buttons are the admins' (the page's script shows them only to admins, from the
    // page's data-admin; the fragments are the same for everyone, the server decides).
    CHECK_THAT(w.admin.get(w.ch_url()).body(), Catch::Contains("data-admin=\"true\""));
    CHECK_THAT(w.member.get(w.ch_url()).body(), !Catch::Contains("data-admin"));
}

TEST_CASE("changes: only admins create and delete channels, only members post", "[pg][routes][authz]") {
    world w;
    const auto& url = w.app.db.url();
    auto channels = [&] { return test::sql_value(url, "SELECT count(*) FROM channels"); };
    auto messages = [&] { return test::sql_value(url, "SELECT count(*) FROM messages"); };
    const auto channels_before = channels();

    CHECK(location(w.anon.post(w.c_url() + "/channel")) == "/?error=not-signed-in");
    CHECK(w.outsider.post(w.c_url() + "/channel").result() == http::status::forbidden);
    CHECK(w.member.post(w.c_url() + "/channel").result() == http::status::forbidden);
    CHECK(channels() == channels_before);

    CHECK(location(w.anon.post(w.ch_url(),
                               {{"text", "hi"}, {"client_id", "7d444840-9dc0-11d1-b245-5ffdce74fad2"}})) ==
          "/?error=not-signed-in");
    CHECK(w.outsider.post(w.ch_url(), {{"text", "hi"}, {"client_id", "7d444840-9dc0-11d1-b245-5ffdce74fad2"}})
              .result() == http::status::forbidden);
    CHECK(messages() == "0");
    auto posted =
        w.member.post(w.ch_url(), {{"text", "hello"}, {"client_id", "7d444840-9dc0-11d1-b245-5ffdce74fad2"}});
    CHECK(posted.result() == http::status::see_other);
    CHECK(messages() == "1");

    CHECK(location(w.anon.del(w.ch_url())) == "/?error=not-signed-in");
    CHECK(w.outsider.del(w.ch_url()).result() == http::status::forbidden);
    CHECK(w.member.del(w.ch_url()).result() == http::status::forbidden);
    CHECK(channels() == channels_before);
    auto deleted = w.admin.del(w.ch_url());
    CHECK(deleted.result() == http::status::ok);
    CHECK(deleted.body().empty());
    CHECK(test::sql_value(url, "SELECT count(*) FROM channels WHERE id = '" + w.channel + "'") == "0");
    CHECK(messages() == "0"); // the channel's messages went with it
    CHECK(w.member.get(w.ch_url()).result() == http::status::not_found);
}

TEST_CASE("joining makes a member without roles", "[pg][routes][authz]") {
    world w;
    CHECK(location(w.anon.post(w.c_url() + "/join")) == "/?error=not-signed-in");
    auto joined = w.outsider.post(w.c_url() + "/join");
    CHECK(location(joined) == w.c_url());
    CHECK(w.outsider.get(w.ch_url()).result() == http::status::ok);
    CHECK(w.outsider.post(w.c_url() + "/channel").result() == http::status::forbidden);
    // Joining again changes nothing, and an admin who "joins" keeps their role.
    CHECK(location(w.admin.post(w.c_url() + "/join")) == w.c_url());
    CHECK(w.admin.post(w.c_url() + "/channel").result() == http::status::see_other);
}

TEST_CASE("a missing or wrong CSRF token is refused and changes nothing", "[pg][routes][csrf]") {
    world w;
    const auto& url = w.app.db.url();
    const auto communities = test::sql_value(url, "SELECT count(*) FROM communities");
    CHECK(w.admin.post("/community", {}, false).result() == http::status::forbidden);
    CHECK(w.admin.post("/community", {{"__anti-forgery-token", std::string(64, 'a')}}, false).result() ==
          http::status::forbidden);
    CHECK(test::sql_value(url, "SELECT count(*) FROM communities") == communities);

    CHECK(w.admin.del(w.ch_url(), false).result() == http::status::forbidden);
    CHECK(test::sql_value(url, "SELECT count(*) FROM channels WHERE id = '" + w.channel + "'") == "1");

    // Another browser's token does not work with this browser's cookie.
    test::browser thief(w.app.port());
    thief.get("/");
    auto stolen = w.admin.post("/community", {{"__anti-forgery-token", thief.csrf()}}, false);
    CHECK(stolen.result() == http::status::forbidden);

    // Signing out is a change too.
    CHECK(w.member.post("/auth/signout", {}, false).result() == http::status::forbidden);
    CHECK(w.member.get("/app").result() == http::status::ok);
    CHECK(location(w.member.post("/auth/signout")) == "/");
    CHECK(location(w.member.get("/app")) == "/?error=not-signed-in");
}

TEST_CASE("malformed and unknown ids are 404, another community's channel too", "[pg][routes]") {
    world w;
    for (auto path :
         {std::string("/community/not-a-uuid"),
          std::string("/community/00000000-0000-4000-8000-000000000000"), w.c_url() + "/channel/zzz",
          w.c_url() + "/channel/00000000-0000-4000-8000-000000000000",
          w.c_url() + "/channel/" + w.other_channel, std::string("/community/") + std::string(300, 'x')}) {
        INFO(path);
        CHECK(w.admin.get(path).result() == http::status::not_found);
    }
    CHECK(w.admin.post("/community/not-a-uuid/channel").result() == http::status::not_found);
    CHECK(w.admin.del(w.c_url() + "/channel/" + w.other_channel).result() == http::status::not_found);
    CHECK(w.admin.get(w.ch_url() + "/messages?before=abc").result() == http::status::bad_request);
}

TEST_CASE("an oversized body is refused before it reaches a route", "[pg][routes]") {
    world w;
    // The declared length alone is refused: the server answers 413 without reading 2 MB, and the client
    // reads that answer (sending the whole body first could meet a closed connection instead).
    boost::asio::io_context ctx;
    auto answer = test::run_async(ctx, [&]() -> boost::asio::awaitable<std::string> {
        boost::asio::ip::tcp::socket sock(co_await boost::asio::this_coro::executor);
        const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), w.app.port());
        co_await sock.async_connect(ep, boost::asio::use_awaitable);
        const std::string head =
            "POST " + w.ch_url() +
            " HTTP/1.1\r\nHost: localhost\r\nCookie: eelchat_session=" + w.member.cookie() +
            "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 2097152\r\n\r\ntext=xxxx";
        co_await boost::asio::async_write(sock, boost::asio::buffer(head), boost::asio::use_awaitable);
        std::string out;
        boost::system::error_code ec;
        co_await boost::asio::async_read(sock, boost::asio::dynamic_buffer(out),
                                         boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        co_return out;
    }());
    CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 413"));
    CHECK(test::sql_value(w.app.db.url(), "SELECT count(*) FROM messages") == "0");
}

TEST_CASE("a session whose user was deleted is cleared, not looped", "[pg][routes]") {
    world w;
    test::sql_value(w.app.db.url(), "DELETE FROM users WHERE email = 'member@example.com'");
    auto app = w.member.get("/app");
    CHECK(location(app) == "/?error=not-signed-in");
    auto landing = w.member.get("/?error=not-signed-in");
    CHECK(landing.result() == http::status::ok); // not a redirect back to /app
}
