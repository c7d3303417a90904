// Every kind of change travels as an event of the channel's history: posted, edited, deleted, reacted to,
// replied to, renamed. A page on the other instance receives each once, in order, and a page that
// reconnects from its cursor replays what it missed and ends in the state a fresh page shows.
#include "support/app_server.hpp"
#include "support/async.hpp"
#include "support/browser.hpp"
#include "support/channel_socket.hpp"

#include <catch2/catch.hpp>

#include <numeric>

using namespace eelchat;
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

constexpr std::string_view origin = "http://localhost:8080"; // the fixtures' BASE_URL

using test::location;

// Two instances on one database: alice (admin) on the first, bob (member) on the second.
struct pair_of_instances {
    test::app_server a;
    test::app_server b{{}, a.db.url()};
    test::browser alice{a.port()}, bob{b.port()};
    std::string community, channel, channel_id, other;

    pair_of_instances() {
        test::sign_in(alice, a.mail, "alice@example.com");
        test::sign_in(bob, b.mail, "bob@example.com");
        community = location(alice.post("/community", {{"title", "Eels"}}));
        channel = location(alice.post(community + "/channel", {{"title", "general"}}));
        other = location(alice.post(community + "/channel", {{"title", "random"}}));
        channel_id = channel.substr(channel.rfind('/') + 1);
        REQUIRE(location(bob.post(community + "/join")) == community);
    }

    void post(test::browser& who, const std::string& text, const std::string& parent = {}) {
        auto page = who.get(channel);
        static const std::regex re(R"re(id="client-id" name="client_id" value="([0-9a-f-]{36})")re");
        std::smatch m;
        REQUIRE(std::regex_search(page.body(), m, re));
        std::vector<std::pair<std::string, std::string>> fields{{"text", text}, {"client_id", m[1]}};
        if (!parent.empty()) fields.emplace_back("parent_id", parent);
        REQUIRE(who.post(channel, fields, true, true).result() == http::status::ok);
    }
    std::string message_id(int seq) {
        return test::sql_value(a.db.url(), "SELECT id FROM messages WHERE channel_id = '" + channel_id +
                                               "' AND seq = " + std::to_string(seq));
    }
    std::string message_url(int seq) { return channel + "/message/" + message_id(seq); }
};

std::vector<std::int64_t> range(std::int64_t from, std::int64_t to) {
    std::vector<std::int64_t> v(static_cast<std::size_t>(to - from + 1));
    std::iota(v.begin(), v.end(), from);
    return v;
}

} // namespace

TEST_CASE("edits, deletions, reactions, replies and renames reach the other instance once each, in order",
          "[pg][realtime][conversations]") {
    pair_of_instances c;
    asio::io_context ctx;
    test::channel_socket live(ctx.get_executor());
    REQUIRE(test::run_async(
                ctx,
                live.connect(c.b.port(), c.channel + "/connect?after=0", c.bob.cookie(), std::string(origin)),
                std::chrono::seconds(10), test::leftovers::allow) == 101u);

    c.post(c.alice, "hello **world**");  // 1
    c.post(c.bob, "a message of bob's"); // 2
    REQUIRE(c.alice.post(c.message_url(1), {{"text", "hello _there_"}}, true, true).result() ==
            http::status::ok); // 3 edited
    REQUIRE(c.bob.post(c.message_url(1) + "/reactions", {{"emoji", "👍"}}, true, true).result() ==
            http::status::ok); // 4 reacted
    REQUIRE(c.alice.post(c.message_url(1) + "/reactions", {{"emoji", "👍"}}, true, true).result() ==
            http::status::ok);                                           // 5 reacted
    c.post(c.bob, "a reply", c.message_id(1));                           // 6 a reply
    REQUIRE(c.alice.del(c.message_url(2)).result() == http::status::ok); // 7 deleted by an admin
    REQUIRE(location(c.alice.post(c.channel + "/settings", {{"title", "eel-talk"}, {"topic", "all eels"}})) ==
            c.channel); // 8 renamed

    auto events = test::run_async(ctx, live.collect_events(8, std::chrono::seconds(20)),
                                  std::chrono::seconds(25), test::leftovers::allow);
    CHECK(events == range(1, 8));
    CHECK_THAT(live.frame_of(1), Catch::Contains("<strong>world</strong>"));
    CHECK_THAT(live.frame_of(3), Catch::Contains("id=\"message-1\"") &&
                                     Catch::Contains("hx-swap-oob=\"true\"") &&
                                     Catch::Contains("<em>there</em>") && Catch::Contains("(edited)") &&
                                     Catch::Contains("id=\"thread-parent-text-1\"")); // an open thread's copy
    CHECK_THAT(live.frame_of(4), Catch::Contains("id=\"reactions-1\"") && Catch::Contains("👍 1"));
    CHECK_THAT(live.frame_of(5), Catch::Contains("👍 2"));
    CHECK_THAT(live.frame_of(6), Catch::Contains("id=\"thread-replies-1\"") && Catch::Contains("a reply") &&
                                     Catch::Contains("id=\"replies-1\"") && Catch::Contains("1 reply"));
    CHECK_THAT(live.frame_of(7), Catch::Contains("id=\"message-2\" hx-swap-oob=\"delete\""));
    CHECK_THAT(live.frame_of(8), Catch::Contains("id=\"channel-header\"") && Catch::Contains("eel-talk") &&
                                     Catch::Contains("all eels"));

    // A page that last applied event 2 reconnects: it gets 3..8, each once, ending where a fresh page is.
    test::channel_socket again(ctx.get_executor());
    REQUIRE(test::run_async(ctx,
                            again.connect(c.a.port(), c.channel + "/connect?after=2", c.alice.cookie(),
                                          std::string(origin)),
                            std::chrono::seconds(10), test::leftovers::allow) == 101u);
    auto replayed = test::run_async(ctx, again.collect_events(8, std::chrono::seconds(20)),
                                    std::chrono::seconds(25), test::leftovers::allow);
    CHECK(replayed == range(3, 8));
    // Replayed events show today's state: the edit frame has the final text and both reactions.
    CHECK_THAT(again.frame_of(3), Catch::Contains("<em>there</em>") && Catch::Contains("👍 2"));
    auto fresh = c.alice.get(c.channel).body();
    CHECK_THAT(fresh, Catch::Contains("id=\"event-cursor\" value=\"8\""));
    CHECK_THAT(fresh,
               Catch::Contains("<em>there</em>") && Catch::Contains("👍 2") && Catch::Contains("1 reply"));
    CHECK_THAT(fresh, !Catch::Contains("a message of bob&#39;s"));
}

TEST_CASE("a page of the community's other channels sees a public channel renamed in its sidebar",
          "[pg][realtime][conversations]") {
    pair_of_instances c;
    asio::io_context ctx;
    test::channel_socket elsewhere(ctx.get_executor());
    REQUIRE(test::run_async(ctx,
                            elsewhere.connect(c.b.port(), c.other + "/connect?after=0", c.bob.cookie(),
                                              std::string(origin)),
                            std::chrono::seconds(10), test::leftovers::allow) == 101u);
    REQUIRE(location(c.alice.post(c.channel + "/settings", {{"title", "renamed"}, {"topic", ""}})) ==
            c.channel);
    REQUIRE(location(c.alice.post(c.community + "/settings", {{"title", "Eel Society"}})) == c.community);
    auto events = test::run_async(ctx, elsewhere.collect_events(2, std::chrono::seconds(20)),
                                  std::chrono::seconds(25), test::leftovers::allow);
    CHECK(events == range(1, 2));
    CHECK_THAT(elsewhere.frame_of(1),
               Catch::Contains("id=\"channel-link-" + c.channel_id + "\"") && Catch::Contains("renamed"));
    CHECK_THAT(elsewhere.frame_of(2), Catch::Contains("Eel Society"));
}
