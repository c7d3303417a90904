// Posting and reading messages: validation, escaping, idempotent retries, ordering and history pages.
#include "support/app_server.hpp"
#include "support/browser.hpp"
#include "support/channel_fixture.hpp"

#include <catch2/catch.hpp>

#include <regex>

using namespace eelchat;
namespace http = boost::beast::http;
using test::location;

TEST_CASE("a posted message is stored once and shown escaped, with its author and line breaks",
          "[pg][messages]") {
    test::channel_fixture f;
    auto page = f.alice.get(f.url);
    const auto cid = f.client_id(page);

    auto r = f.post("<script>alert('x')</script>\n<b hx-get=\"/app\">second line</b>", cid);
    CHECK(r.result() == http::status::ok);
    // The reply hands the form a fresh client id for the next message.
    CHECK_THAT(r.body(), Catch::Contains("hx-swap-oob=\"true\""));
    CHECK(f.client_id(r) != cid);

    // The same client id again (a double click, a retry): still one message.
    CHECK(f.post("<script>alert('x')</script>\n<b hx-get=\"/app\">second line</b>", cid).result() ==
          http::status::ok);
    CHECK(test::sql_value(f.app.db.url(), "SELECT count(*) FROM messages") == "1");

    auto shown = f.alice.get(f.url).body();
    // Raw HTML in markdown shows as the text it is, each line kept.
    CHECK_THAT(shown, Catch::Contains("<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>"));
    CHECK_THAT(shown, Catch::Contains("<p>&lt;b hx-get=&quot;/app&quot;&gt;second line&lt;/b&gt;</p>"));
    CHECK_THAT(shown, !Catch::Contains("<script>alert"));
    CHECK_THAT(shown, !Catch::Contains("<b hx-get"));
    CHECK_THAT(shown, Catch::Contains("hx-disable"));
    const auto membership = test::sql_value(f.app.db.url(), "SELECT id FROM memberships LIMIT 1");
    CHECK_THAT(shown, Catch::Contains("User " + membership.substr(0, 4)));

    // A display name replaces "User xxxx".
    CHECK(location(f.alice.post("/profile", {{"display_name", "Alice <A>"}})) == "/profile?saved=1");
    CHECK_THAT(f.alice.get(f.url).body(), Catch::Contains("Alice &lt;A&gt;"));
}

TEST_CASE("empty, too long and badly encoded messages are refused with a visible reason", "[pg][messages]") {
    test::channel_fixture f;
    const auto cid = f.client_id(f.alice.get(f.url));
    struct bad {
        std::string text;
        std::string says;
    };
    std::string four_thousand_one;
    for (int i = 0; i < 4001; ++i)
        four_thousand_one += "é";
    for (const auto& b : {bad{"", "empty"}, bad{"  \n\t ", "empty"}, bad{"\xc2\xa0", "empty"},
                          bad{four_thousand_one, "too long"}, bad{"bad \xc3\x28 bytes", "invalid"}}) {
        auto r = f.post(b.text, cid);
        CHECK(r.result() == http::status::unprocessable_entity);
        CHECK_THAT(r.body(), Catch::Contains(b.says));
        CHECK_THAT(r.body(), Catch::Contains("id=\"compose-error\""));
    }
    CHECK(test::sql_value(f.app.db.url(), "SELECT count(*) FROM messages") == "0");
    // Exactly 4,000 characters is fine; so is a message without a valid client id refused, not stored twice.
    CHECK(f.post(four_thousand_one.substr(2), cid).result() == http::status::ok);
    CHECK(f.post("hello", "not-a-uuid").result() == http::status::unprocessable_entity);
    CHECK(test::sql_value(f.app.db.url(), "SELECT count(*) FROM messages") == "1");
}

TEST_CASE("messages get gap-free sequence numbers in order", "[pg][messages]") {
    test::channel_fixture f;
    for (int i = 1; i <= 5; ++i) {
        auto cid = f.client_id(f.alice.get(f.url));
        REQUIRE(f.post("message " + std::to_string(i), cid).result() == http::status::ok);
    }
    CHECK(test::sql_value(f.app.db.url(), "SELECT string_agg(seq::text, ',' ORDER BY seq) FROM messages") ==
          "1,2,3,4,5");
    CHECK(test::sql_value(f.app.db.url(),
                          "SELECT last_seq FROM channels WHERE id = '" + f.channel_id + "'") == "5");
    auto page = f.alice.get(f.url).body();
    CHECK(page.find("message 1") < page.find("message 5")); // oldest first
}

TEST_CASE("a long channel opens with its newest 50 messages and pages back 50 at a time", "[pg][messages]") {
    test::channel_fixture f;
    test::sql_value(f.app.db.url(), "WITH c AS (UPDATE channels SET last_seq = 120 WHERE id = '" +
                                        f.channel_id +
                                        "' RETURNING id)"
                                        " INSERT INTO messages (channel_id, seq, membership_id, text)"
                                        " SELECT c.id, n, (SELECT id FROM memberships LIMIT 1), 'note ' || n "
                                        "FROM c, generate_series(1, 120) n");
    auto page = f.alice.get(f.url).body();
    CHECK_THAT(page, Catch::Contains("note 120"));
    CHECK_THAT(page, Catch::Contains("note 71<"));
    CHECK_THAT(page, !Catch::Contains("note 70<"));
    CHECK_THAT(page, Catch::Contains("/messages?before=71"));

    auto older = f.alice.get(f.url + "/messages?before=71", true);
    CHECK(older.result() == http::status::ok);
    CHECK_THAT(older.body(), Catch::Contains("note 21<"));
    CHECK_THAT(older.body(), Catch::Contains("note 70<"));
    CHECK_THAT(older.body(), !Catch::Contains("note 71<"));
    CHECK_THAT(older.body(), Catch::Contains("/messages?before=21"));

    auto oldest = f.alice.get(f.url + "/messages?before=21", true);
    CHECK_THAT(oldest.body(), Catch::Contains("note 1<"));
    CHECK_THAT(oldest.body(), Catch::Contains("This is the beginning"));
    CHECK_THAT(oldest.body(), !Catch::Contains("Loading older messages"));
}
