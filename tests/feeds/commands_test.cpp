// Slash commands typed into a channel: what is recognised, who may run what, and the replies people see.
#include "feeds/commands.hpp"
#include "support/channel_fixture.hpp"
#include "support/feed_server.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;
using feeds::slash_command;
using kind = feeds::slash_command::kind;
namespace http = boost::beast::http;

TEST_CASE("slash commands are the whole message: the name, then exactly the arguments it takes",
          "[unit][commands]") {
    CHECK(feeds::parse_slash_command("/list").what == kind::list);
    CHECK(feeds::parse_slash_command("  /list \n").what == kind::list);
    CHECK(feeds::parse_slash_command("/list all").what == kind::usage);

    auto sub = feeds::parse_slash_command("/subscribe https://example.org/feed.xml");
    CHECK(sub.what == kind::subscribe);
    CHECK(sub.argument == "https://example.org/feed.xml");
    auto unsub = feeds::parse_slash_command("/unsubscribe\thttps://example.org/feed.xml ");
    CHECK(unsub.what == kind::unsubscribe);
    CHECK(unsub.argument == "https://example.org/feed.xml");

    CHECK(feeds::parse_slash_command("/subscribe").what == kind::usage);
    CHECK(feeds::parse_slash_command("/subscribe a b").what == kind::usage);
    CHECK(feeds::usage_reply(feeds::parse_slash_command("/subscribe")) == "Usage: /subscribe URL");
    CHECK(feeds::usage_reply(feeds::parse_slash_command("/list x")) == "Usage: /list");

    // Everything else is an ordinary message.
    for (const char* text :
         {"hello", "", "   ", "a /list", "/listing", "/subscribed x", "/LIST", "//list", "/"})
        CHECK(feeds::parse_slash_command(text).what == kind::none);
}

TEST_CASE("only admins may change subscriptions, and every member may list them", "[unit][commands]") {
    CHECK(feeds::admin_only(feeds::parse_slash_command("/subscribe x")));
    CHECK(feeds::admin_only(feeds::parse_slash_command("/unsubscribe x")));
    CHECK(feeds::admin_only(feeds::parse_slash_command("/subscribe")));
    CHECK_FALSE(feeds::admin_only(feeds::parse_slash_command("/list")));
    CHECK(feeds::admins_only_reply(feeds::parse_slash_command("/subscribe x")) ==
          "Only community admins can use /subscribe.");
}

TEST_CASE("/list replies with the sorted feeds, one per line", "[unit][commands]") {
    CHECK(feeds::list_reply({}) == "Subscriptions: none");
    CHECK(feeds::list_reply({"https://a.example/rss", "https://b.example/atom"}) ==
          "Subscriptions:\n- https://a.example/rss\n- https://b.example/atom");
}

namespace {

// The channel's messages as "S|text" (system) or "U|text" lines, in order; without feed entries
// ("title | author | date ...") when `entries` is false.
std::string transcript(const test::channel_fixture& f, bool entries = true) {
    return test::sql_value(
        f.app.db.url(),
        "SELECT string_agg(CASE WHEN is_system THEN 'S|' ELSE 'U|' END || text, E'\\n' ORDER BY seq)"
        " FROM messages WHERE channel_id = '" +
            f.channel_id + "'" + (entries ? "" : " AND NOT (is_system AND text LIKE '% | % | %')"));
}

} // namespace

TEST_CASE("an admin subscribes, lists and unsubscribes, and replies follow the command they answer",
          "[pg][commands]") {
    test::feed_server feeds;
    test::channel_fixture f;
    const auto url = feeds.url("/rss2.xml");

    REQUIRE(f.post_as(f.alice, "/list").result() == http::status::ok);
    REQUIRE(f.post_as(f.alice, "/subscribe " + url).result() == http::status::ok);
    REQUIRE(f.post_as(f.alice, "/subscribe " + url).result() == http::status::ok);
    REQUIRE(f.post_as(f.alice, "/list").result() == http::status::ok);
    REQUIRE(f.post_as(f.alice, "/unsubscribe " + url).result() == http::status::ok);
    REQUIRE(f.post_as(f.alice, "/unsubscribe " + url).result() == http::status::ok);
    REQUIRE(f.post_as(f.alice, "/list").result() == http::status::ok);

    // Feed entries may land in between (the first fetch happens at once); the conversation itself reads:
    const auto conversation = transcript(f, false) + "\n";
    CHECK(conversation == "U|/list\nS|Subscriptions: none\n"
                          "U|/subscribe " +
                              url + "\nS|Subscribed to " + url +
                              "\n"
                              "U|/subscribe " +
                              url + "\nS|Already subscribed to " + url +
                              "\n"
                              "U|/list\nS|Subscriptions:\n- " +
                              url +
                              "\n"
                              "U|/unsubscribe " +
                              url + "\nS|Unsubscribed from " + url +
                              "\n"
                              "U|/unsubscribe " +
                              url + "\nS|Not subscribed to " + url +
                              "\n"
                              "U|/list\nS|Subscriptions: none\n");
    CHECK(test::sql_value(f.app.db.url(), "SELECT count(*) FROM subscriptions") == "0");
}

TEST_CASE("a member who is not an admin is told so, and nothing is subscribed", "[pg][commands]") {
    test::channel_fixture f;
    test::browser bob{f.app.port()};
    test::sign_in(bob, f.app.mail, "bob@example.com");
    bob.get(f.community_url);
    REQUIRE(test::location(bob.post(f.community_url + "/join")) == f.community_url);

    REQUIRE(f.post_as(bob, "/subscribe https://example.org/feed.xml").result() == http::status::ok);
    REQUIRE(f.post_as(bob, "/list").result() == http::status::ok);
    CHECK(transcript(f) ==
          "U|/subscribe https://example.org/feed.xml\nS|Only community admins can use /subscribe.\n"
          "U|/list\nS|Subscriptions: none");
    CHECK(test::sql_value(f.app.db.url(), "SELECT count(*) FROM subscriptions") == "0");
}

TEST_CASE("bad feed URLs get a clear reply and store nothing", "[pg][commands]") {
    // As in production: private addresses are refused (the check resolves the host first).
    test::channel_fixture f([](config& c) { c.feeds_allow_private = false; });
    struct bad {
        std::string url;
        std::string reason;
    };
    const std::vector<bad> cases = {
        {"ftp://example.org/feed.xml", "only http and https URLs can be followed."},
        {"javascript:alert(1)", "only http and https URLs can be followed."},
        {"http://", "that is not a valid URL."},
        {"example.org/feed", "that is not a valid URL."},
        {"http://user@example.org/feed", "that is not a valid URL."},
        {"http://127.0.0.1:8080/feed", "public address"},
        {"http://localhost/feed", "localhost is not a public host."},
        {"http://[::1]/feed", "public address"},
        {"http://169.254.169.254/latest/meta-data/", "public address"},
        {"http://10.1.2.3/feed", "public address"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.url);
        REQUIRE(f.post_as(f.alice, "/subscribe " + c.url).result() == http::status::ok);
        auto reply = test::sql_value(f.app.db.url(),
                                     "SELECT text FROM messages WHERE is_system ORDER BY seq DESC LIMIT 1");
        CHECK_THAT(reply, Catch::StartsWith("Can't subscribe to " + c.url + ": "));
        CHECK_THAT(reply, Catch::Contains(c.reason));
        // What a name resolves to stays on the server (it would map its network).
        if (c.url.find("localhost") != std::string::npos) CHECK(reply.find("127.0.0.1") == std::string::npos);
    }
    CHECK(test::sql_value(f.app.db.url(), "SELECT count(*) FROM subscriptions") == "0");
}

TEST_CASE("a retried post runs its command once, and deleting the channel ends its subscriptions",
          "[pg][commands]") {
    test::feed_server feeds;
    test::channel_fixture f;
    const auto cid = f.client_id(f.alice.get(f.url));
    REQUIRE(f.post("/subscribe " + feeds.url("/atom.xml"), cid).result() == http::status::ok);
    REQUIRE(f.post("/subscribe " + feeds.url("/atom.xml"), cid).result() == http::status::ok);
    CHECK(test::sql_value(f.app.db.url(), "SELECT count(*) FROM messages WHERE text LIKE 'Already%'") == "0");
    CHECK(test::sql_value(f.app.db.url(), "SELECT count(*) FROM subscriptions") == "1");

    REQUIRE(f.alice.del(f.url).result() == http::status::ok);
    CHECK(test::sql_value(f.app.db.url(), "SELECT count(*) FROM subscriptions") == "0");
}

TEST_CASE("a channel follows at most FEEDS_MAX_PER_CHANNEL feeds, and the reply says so", "[pg][commands]") {
    test::feed_server feeds;
    test::channel_fixture f([](config& c) { c.limits.feeds_per_channel = 2; });
    for (const char* p : {"/rss2.xml", "/atom.xml", "/rdf.xml"})
        REQUIRE(f.post_as(f.alice, std::string("/subscribe ") + feeds.url(p)).result() == http::status::ok);
    CHECK(test::sql_value(f.app.db.url(), "SELECT count(*) FROM subscriptions") == "2");
    CHECK(test::sql_value(f.app.db.url(),
                          "SELECT text FROM messages WHERE is_system AND text LIKE 'Can''t%'") ==
          "Can't subscribe to " + feeds.url("/rdf.xml") + ": a channel can follow at most 2 feeds.");
}
