// Who may do what with messages and conversations, over real sockets and a real PostgreSQL: edits and
// deletions, reactions and replies, private channels and direct conversations on every route and on
// the socket, names, and the moderation of members.
#include "support/app_server.hpp"
#include "support/async.hpp"
#include "support/browser.hpp"
#include "support/channel_socket.hpp"

#include <catch2/catch.hpp>

#include <regex>

using namespace eelchat;
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

using test::location;
constexpr std::string_view origin = "http://localhost:8080";

std::string last_segment(const std::string& l) {
    return l.substr(l.rfind('/') + 1);
}

struct team {
    test::app_server app;
    test::browser admin{app.port()}, member{app.port()}, carol{app.port()}, outsider{app.port()};
    std::string community, channel;

    explicit team(std::function<void(config&)> tweak = {}) : app(std::move(tweak)) {
        test::sign_in(admin, app.mail, "admin@example.com");
        test::sign_in(member, app.mail, "member@example.com");
        test::sign_in(carol, app.mail, "carol@example.com");
        test::sign_in(outsider, app.mail, "outsider@example.com");
        community = location(admin.post("/community", {{"title", "Eels"}}));
        channel = location(admin.post(community + "/channel", {{"title", "general"}}));
        REQUIRE(location(member.post(community + "/join")) == community);
        REQUIRE(location(carol.post(community + "/join")) == community);
    }
    std::string sql(const std::string& q) { return test::sql_value(app.db.url(), q); }
    std::string membership(const std::string& email) {
        return sql("SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = '" +
                   email + "'");
    }
    // Posts through the compose form of `where`; returns the answer.
    test::response post(test::browser& who, const std::string& where, const std::string& text,
                        const std::string& parent = {}) {
        auto page = who.get(where);
        static const std::regex re(R"re(id="client-id" name="client_id" value="([0-9a-f-]{36})")re");
        std::smatch m;
        std::string cid = std::regex_search(page.body(), m, re) ? std::string(m[1])
                                                                : "7d444840-9dc0-11d1-b245-5ffdce74fad2";
        std::vector<std::pair<std::string, std::string>> fields{{"text", text}, {"client_id", cid}};
        if (!parent.empty()) fields.emplace_back("parent_id", parent);
        return who.post(where, fields, true, true);
    }
    std::string message_url(const std::string& where, const std::string& text) {
        return where + "/message/" + sql("SELECT id FROM messages WHERE text = '" + text + "'");
    }
};

unsigned socket_status(std::uint16_t port, const std::string& target, const std::string& cookie) {
    asio::io_context ctx;
    test::channel_socket s(ctx.get_executor());
    return test::run_async(ctx, s.connect(port, target, cookie, std::string(origin)),
                           std::chrono::seconds(10), test::leftovers::allow);
}

} // namespace

TEST_CASE("messages: authors edit, authors and admins delete, members react and reply",
          "[pg][routes][authz]") {
    team t([](config& c) { c.limits.reaction_kinds_per_message = 2; });
    REQUIRE(t.post(t.admin, t.channel, "from the admin").result() == http::status::ok);
    REQUIRE(t.post(t.member, t.channel, "from the member").result() == http::status::ok);
    const auto admins = t.message_url(t.channel, "from the admin");
    const auto members = t.message_url(t.channel, "from the member");
    auto text_of = [&](const std::string& url) {
        return t.sql("SELECT text FROM messages WHERE id = '" + last_segment(url) + "'");
    };

    // Editing: the author only; the edit box is theirs too.
    CHECK(t.member.get(admins + "/edit", true).result() == http::status::forbidden);
    CHECK(t.member.post(admins, {{"text", "hijacked"}}, true, true).result() == http::status::forbidden);
    CHECK(t.admin.post(members, {{"text", "hijacked"}}, true, true).result() == http::status::forbidden);
    CHECK(t.outsider.post(admins, {{"text", "hijacked"}}, true, true).result() == http::status::forbidden);
    CHECK(text_of(admins) == "from the admin");
    auto box = t.member.get(members + "/edit", true);
    CHECK(box.result() == http::status::ok);
    CHECK_THAT(box.body(), Catch::Contains("name=\"text\"") && Catch::Contains("from the member"));
    // A bad edit is refused with the reason, and the text stays as typed in the box.
    auto empty = t.member.post(members, {{"text", "  "}}, true, true);
    CHECK(empty.result() == http::status::unprocessable_entity);
    CHECK_THAT(empty.body(), Catch::Contains("empty messages are not sent"));
    auto saved = t.member.post(members, {{"text", "from the **member**"}}, true, true);
    CHECK(saved.result() == http::status::ok);
    CHECK_THAT(saved.body(), Catch::Contains("<strong>member</strong>") && Catch::Contains("(edited)"));
    CHECK(text_of(members) == "from the **member**");

    // Reactions: any member, one emoji at a time, toggled; at most two kinds here.
    CHECK(t.outsider.post(admins + "/reactions", {{"emoji", "👍"}}, true, true).result() ==
          http::status::forbidden);
    CHECK(t.member.post(admins + "/reactions", {{"emoji", "<b>"}}, true, true).result() ==
          http::status::unprocessable_entity);
    CHECK(t.member.post(admins + "/reactions", {{"emoji", "👍"}}, true, true).result() == http::status::ok);
    CHECK(t.carol.post(admins + "/reactions", {{"emoji", "👍"}}, true, true).result() == http::status::ok);
    CHECK(t.carol.post(admins + "/reactions", {{"emoji", "🎉"}}, true, true).result() == http::status::ok);
    auto third = t.carol.post(admins + "/reactions", {{"emoji", "👀"}, {"from", "picker"}}, true, true);
    CHECK(third.result() == http::status::unprocessable_entity);
    CHECK_THAT(third.body(), Catch::Contains("as many different reactions"));
    CHECK(t.sql("SELECT count(*) FROM reactions") == "3");
    CHECK(t.member.post(admins + "/reactions", {{"emoji", "👍"}}, true, true).result() ==
          http::status::ok); // off
    CHECK(t.sql("SELECT count(*) FROM reactions WHERE emoji = '👍'") == "1");
    CHECK_THAT(t.admin.get(t.channel).body(), Catch::Contains("👍 1") && Catch::Contains("🎉 1"));

    // Replies: to top-level messages only; the parent counts them.
    CHECK(t.post(t.carol, t.channel, "a reply", last_segment(admins)).result() == http::status::ok);
    const auto reply = t.message_url(t.channel, "a reply");
    CHECK(t.post(t.carol, t.channel, "a reply to a reply", last_segment(reply)).result() ==
          http::status::unprocessable_entity);
    CHECK(t.member.get(reply + "/thread", true).result() == http::status::not_found);
    auto thread = t.member.get(admins + "/thread", true);
    CHECK(thread.result() == http::status::ok);
    CHECK_THAT(thread.body(), Catch::Contains("a reply") && Catch::Contains("name=\"text\"") &&
                                  Catch::Contains("name=\"parent_id\""));
    CHECK(t.outsider.get(admins + "/thread", true).result() != http::status::ok);
    CHECK_THAT(t.admin.get(t.channel).body(), Catch::Contains("1 reply") && !Catch::Contains(">a reply<"));

    // Deleting: the author, or an admin; anyone else is refused and nothing changes.
    CHECK(t.carol.del(members).result() == http::status::forbidden);
    CHECK(t.member.del(admins).result() == http::status::forbidden);
    CHECK(t.outsider.del(admins).result() == http::status::forbidden);
    CHECK(t.sql("SELECT count(*) FROM messages WHERE deleted_at IS NOT NULL") == "0");
    CHECK(t.carol.del(reply).result() == http::status::ok);           // her own reply
    CHECK(t.admin.del(members).result() == http::status::ok);         // moderation
    CHECK(t.member.del(members).result() == http::status::forbidden); // already gone: nothing to delete
    CHECK(t.sql("SELECT reply_count FROM messages WHERE id = '" + last_segment(admins) + "'") == "0");
    auto page = t.carol.get(t.channel).body();
    CHECK_THAT(page, !Catch::Contains("from the **member**") && !Catch::Contains("<strong>member</strong>"));
    CHECK(text_of(members).empty()); // the text is gone from the database too
    CHECK(t.member.post(members, {{"text", "back"}}, true, true).result() == http::status::forbidden);
}

TEST_CASE("private channels and direct conversations: only their own members see, read, post and connect",
          "[pg][routes][authz]") {
    team t;
    const auto secret =
        location(t.admin.post(t.community + "/channel", {{"title", "secret plans"}, {"private", "1"}}));
    REQUIRE(secret.find("/channel/") != std::string::npos);
    REQUIRE(t.post(t.admin, secret, "the plan").result() == http::status::ok);
    const auto plan = t.message_url(secret, "the plan");

    // A member who was not added: every route and the socket answer as if it did not exist.
    auto refused_everywhere = [&](test::browser& who, const std::string& where, const std::string& message) {
        CHECK(who.get(where).result() == http::status::not_found);
        CHECK(who.get(where + "/messages?before=5").result() == http::status::not_found);
        CHECK(t.post(who, where, "sneaking in").result() == http::status::not_found);
        CHECK(who.get(where + "/settings").result() == http::status::not_found);
        CHECK(who.get(where + "/members").result() == http::status::not_found);
        CHECK(who.get(message + "/thread", true).result() == http::status::not_found);
        CHECK(who.get(message + "/edit", true).result() == http::status::not_found);
        CHECK(who.post(message + "/reactions", {{"emoji", "👍"}}, true, true).result() ==
              http::status::not_found);
        CHECK(who.del(message).result() == http::status::not_found);
        CHECK(who.del(where).result() == http::status::not_found);
        CHECK(socket_status(t.app.port(), where + "/connect", who.cookie()) == 404u);
    };
    refused_everywhere(t.member, secret, plan);
    CHECK_THAT(t.member.get(t.community).body(), !Catch::Contains("secret plans"));
    CHECK_THAT(t.admin.get(t.community).body(), Catch::Contains("secret plans"));
    CHECK(t.sql("SELECT count(*) FROM messages WHERE text = 'sneaking in'") == "0");

    // The admin adds the member: now they read, post and connect; carol still cannot.
    REQUIRE(location(t.admin.post(secret + "/members", {{"member", t.membership("member@example.com")}})) ==
            secret);
    CHECK(t.member.get(secret).result() == http::status::ok);
    CHECK_THAT(t.member.get(t.community).body(), Catch::Contains("secret plans"));
    CHECK(t.post(t.member, secret, "count me in").result() == http::status::ok);
    CHECK(socket_status(t.app.port(), secret + "/connect", t.member.cookie()) == 101u);
    CHECK(t.member.get(secret + "/members").result() == http::status::forbidden); // not an admin
    refused_everywhere(t.carol, secret, plan);

    // Taken out again: an open socket of the channel closes at once.
    asio::io_context ctx;
    test::channel_socket open(ctx.get_executor());
    REQUIRE(test::run_async(
                ctx, open.connect(t.app.port(), secret + "/connect", t.member.cookie(), std::string(origin)),
                std::chrono::seconds(10), test::leftovers::allow) == 101u);
    REQUIRE(location(t.admin.post(secret + "/members", {})) == secret); // only the admin stays
    test::run_async(ctx, open.collect_events(1'000'000, std::chrono::seconds(10)), std::chrono::seconds(15),
                    test::leftovers::allow);
    CHECK(open.closed());
    CHECK(open.close_code() == 1008);
    CHECK(t.member.get(secret).result() == http::status::not_found);

    // A direct conversation: the member starts one with carol; the admin and the outsider are not in it.
    auto dm =
        location(t.member.post(t.community + "/direct", {{"member", t.membership("carol@example.com")}}));
    REQUIRE(dm.find("/channel/") != std::string::npos);
    CHECK(location(t.carol.post(t.community + "/direct", {{"member", t.membership("member@example.com")}})) ==
          dm);
    REQUIRE(t.post(t.member, dm, "just between us").result() == http::status::ok);
    const auto whisper = t.message_url(dm, "just between us");
    CHECK(t.carol.get(dm).result() == http::status::ok);
    refused_everywhere(t.admin, dm, whisper);
    CHECK(t.outsider.get(dm).result() != http::status::ok);
    // Listed under "Direct messages" by the other person's name.
    REQUIRE(location(t.carol.post("/profile", {{"display_name", "Carol"}})) == "/profile?saved=1");
    auto sidebar = t.member.get(t.channel).body();
    CHECK_THAT(sidebar, Catch::Contains("Direct messages"));
    CHECK_THAT(sidebar, Catch::Matches("(?:.|\\n)*Direct messages(?:.|\\n)*Carol(?:.|\\n)*",
                                       Catch::CaseSensitive::Yes));
    // Nobody renames a direct conversation; nobody can start one with someone outside the community.
    CHECK(t.member.post(dm + "/settings", {{"title", "x"}}).result() == http::status::forbidden);
    CHECK(t.member.post(t.community + "/direct", {{"member", "7d444840-9dc0-11d1-b245-5ffdce74fad2"}})
              .result() == http::status::unprocessable_entity);
    CHECK(t.member.post(t.community + "/direct", {}).result() == http::status::unprocessable_entity);
}

TEST_CASE(
    "names: the create forms take a name or give a numbered one, bad names change nothing, admins rename",
    "[pg][routes]") {
    team t;
    CHECK(t.sql("SELECT title FROM communities WHERE id = '" + last_segment(t.community) + "'") == "Eels");
    auto numbered = location(t.admin.post("/community", {{"title", "  "}}));
    CHECK_THAT(t.sql("SELECT title FROM communities WHERE id = '" + last_segment(numbered) + "'"),
               Catch::Matches("Community #\\d+"));
    const auto communities = t.sql("SELECT count(*) FROM communities");
    auto bad = t.admin.post("/community", {{"title", "evil\u202Eexe.txt"}});
    CHECK(bad.result() == http::status::unprocessable_entity);
    CHECK_THAT(bad.body(), Catch::Contains("1 to 80 characters"));
    CHECK(t.admin.post("/community", {{"title", std::string(81, 'x')}}).result() ==
          http::status::unprocessable_entity);
    CHECK(t.sql("SELECT count(*) FROM communities") == communities);

    // The forms themselves.
    CHECK_THAT(t.admin.get("/community/new", true).body(),
               Catch::Contains(">Name<") && Catch::Contains("Community #"));
    auto form = t.admin.get(t.community + "/channel/new", true).body();
    CHECK_THAT(form, Catch::Contains(">Name<") && Catch::Contains("Private") && Catch::Contains("Channel #"));
    CHECK(t.member.get(t.community + "/channel/new", true).result() == http::status::forbidden);

    // Renaming: admins only, with a topic for channels; shown escaped.
    CHECK(t.member.post(t.channel + "/settings", {{"title", "mine now"}}).result() ==
          http::status::forbidden);
    CHECK(t.member.post(t.community + "/settings", {{"title", "mine now"}}).result() ==
          http::status::forbidden);
    CHECK(t.admin.post(t.channel + "/settings", {{"title", ""}}).result() ==
          http::status::unprocessable_entity);
    CHECK(location(t.admin.post(t.channel + "/settings",
                                {{"title", "<eels>"}, {"topic", "about \"eels\""}})) == t.channel);
    auto page = t.member.get(t.channel).body();
    CHECK_THAT(page, Catch::Contains("&lt;eels&gt;") && Catch::Contains("about &quot;eels&quot;"));
    CHECK_THAT(page, !Catch::Contains("<eels>"));
    CHECK(location(t.admin.post(t.community + "/settings", {{"title", "Eel Society"}})) == t.community);
    CHECK_THAT(t.member.get(t.community).body(), Catch::Contains("Eel Society"));
}

TEST_CASE("moderation: a removed member is disconnected and cannot come back, and a new admin moderates",
          "[pg][routes][authz]") {
    team t;
    REQUIRE(t.post(t.admin, t.channel, "the words of the admin").result() == http::status::ok);
    const auto words = t.message_url(t.channel, "the words of the admin");
    const auto member = t.membership("member@example.com"), carol = t.membership("carol@example.com");

    CHECK(t.member.post(t.community + "/members/" + carol + "/remove").result() == http::status::forbidden);
    CHECK(t.member.post(t.community + "/members/" + carol + "/admin").result() == http::status::forbidden);

    asio::io_context ctx;
    test::channel_socket open(ctx.get_executor());
    REQUIRE(test::run_async(
                ctx,
                open.connect(t.app.port(), t.channel + "/connect", t.member.cookie(), std::string(origin)),
                std::chrono::seconds(10), test::leftovers::allow) == 101u);
    REQUIRE(location(t.admin.post(t.community + "/members/" + member + "/remove")) ==
            t.community + "/members");
    test::run_async(ctx, open.collect_events(1'000'000, std::chrono::seconds(10)), std::chrono::seconds(15),
                    test::leftovers::allow);
    CHECK(open.closed());
    CHECK(open.close_code() == 1008);
    CHECK(location(t.member.get(t.channel)) == t.community); // sent to the community page, which says why
    CHECK_THAT(t.member.get(t.community).body(), Catch::Contains("An admin removed you"));
    CHECK(t.member.post(t.community + "/join").result() == http::status::forbidden);
    CHECK(t.sql("SELECT count(*) FROM memberships WHERE id = '" + member + "'") == "0");

    REQUIRE(location(t.admin.post(t.community + "/members/" + carol + "/admin")) == t.community + "/members");
    CHECK(t.carol.del(words).result() == http::status::ok);
    CHECK_THAT(t.carol.get(t.community + "/members").body(), Catch::Contains("Remove"));
}
