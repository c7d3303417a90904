// Searching messages in PostgreSQL (db/search_store.hpp), with the channels a member may read as the
// route chooses them (db::list_channels, search/scope.hpp) and the query as the route takes it apart.
#include "core/crypto.hpp"
#include "db/channel_store.hpp"
#include "db/message_store.hpp"
#include "db/search_store.hpp"
#include "db/support.hpp"
#include "search/query.hpp"
#include "search/scope.hpp"
#include "support/app_server.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;
namespace asio = boost::asio;
using test::ok;

namespace {

struct search_db {
    test::scratch_db db;
    asio::io_context ctx;
    std::unique_ptr<db::pool> pool;
    std::string community, other_community, general, random, secret, direct, elsewhere;
    std::string alice, bob, carol, stranger;

    search_db() {
        test::apply_all_migrations(db.url());
        db::pool_config pc;
        pc.conninfo = db.url();
        pc.max_size = 2;
        pool = std::make_unique<db::pool>(ctx.get_executor(), pc, logger::null());
        community = value("INSERT INTO communities (title) VALUES ('Eels') RETURNING id");
        other_community = value("INSERT INTO communities (title) VALUES ('Others') RETURNING id");
        alice = member("a@x", "'Alice'", community);
        bob = member("b@x", "'Bob Stone'", community);
        carol = member("c@x", "NULL", community);
        stranger = member("s@x", "'Sam'", other_community);
        general = channel(community, "general", "public");
        random = channel(community, "random", "public");
        secret = channel(community, "secret", "private");
        direct = channel(community, "direct", "direct");
        elsewhere = channel(other_community, "general", "public");
        value("INSERT INTO channel_members (channel_id, membership_id) VALUES ('" + secret + "', '" + alice +
              "'), ('" + direct + "', '" + alice + "'), ('" + direct + "', '" + carol + "')");
    }
    ~search_db() { pool->close(); }

    template <class T> T run(asio::awaitable<T> op) { return test::run_async(ctx, std::move(op)); }
    std::string value(const std::string& q) { return test::sql_value(db.url(), q); }
    std::string member(const std::string& email, const std::string& name, const std::string& in) {
        auto user = value("INSERT INTO users (email, display_name) VALUES ('" + email + "', " + name +
                          ") RETURNING id");
        return value("INSERT INTO memberships (user_id, community_id) VALUES ('" + user + "', '" + in +
                     "') RETURNING id");
    }
    std::string channel(const std::string& in, const std::string& title, const std::string& kind) {
        return value("INSERT INTO channels (community_id, title, kind) VALUES ('" + in + "', '" + title +
                     "', '" + kind + "') RETURNING id");
    }
    // A message, `minutes_ago` minutes old, as the store posts it; returns its id.
    std::string post(const std::string& channel, const std::string& by, const std::string& text,
                     int minutes_ago = 0) {
        db::new_message m;
        m.channel_id = channel;
        m.membership_id = by;
        m.text = text;
        m.client_id = crypto::new_uuid();
        auto posted = run(db::post_message(*pool, m));
        REQUIRE(ok(posted));
        value("UPDATE messages SET created_at = now() - make_interval(mins => " +
              std::to_string(minutes_ago) + ") WHERE id = '" + posted->id + "' RETURNING id");
        return posted->id;
    }

    // What `who` finds for `typed`, as the route asks: their readable channels, the query's filters.
    db::search_page find(const std::string& who, const std::string& typed, int window = 1000, int limit = 20,
                         std::optional<std::string> before = std::nullopt) {
        auto readable = run(db::list_channels(*pool, community, who));
        REQUIRE(ok(readable));
        auto parsed = search::parse_query(typed, 200);
        REQUIRE(parsed.problem == search::query_problem::none);
        db::search_request q;
        q.community_id = community;
        q.channel_ids = search::channels_to_search(*readable, parsed.q.in).channel_ids;
        q.words = parsed.q.words;
        if (parsed.q.prefix) q.prefix = search::prefix_tsquery(*parsed.q.prefix);
        if (!parsed.q.from.empty()) {
            auto named = run(db::members_named(*pool, community, parsed.q.from));
            REQUIRE(ok(named));
            for (const auto& ids : *named)
                q.author_ids.insert(q.author_ids.end(), ids.begin(), ids.end());
            if (q.author_ids.empty()) q.author_ids.push_back("00000000-0000-0000-0000-000000000000");
        }
        q.window = window;
        q.limit = limit;
        q.before_id = std::move(before);
        auto page = run(db::search_messages(*pool, q));
        REQUIRE(ok(page));
        return *page;
    }
    std::vector<std::string> texts(const db::search_page& p) {
        std::vector<std::string> out;
        for (const auto& h : p.hits)
            out.push_back(h.message.text);
        return out;
    }
};

using texts_t = std::vector<std::string>;

} // namespace

TEST_CASE("search: private channels and direct messages only for their members, one community",
          "[pg][search]") {
    search_db f;
    f.post(f.general, f.bob, "the eel migration starts", 5);
    f.post(f.secret, f.alice, "secret eel plans", 4);
    f.post(f.direct, f.carol, "a direct eel note", 3);
    f.post(f.elsewhere, f.stranger, "another community's eel", 2);

    // Bob reads general only; Alice also the private channel and her conversation with Carol.
    CHECK(f.texts(f.find(f.bob, "eel ")) == texts_t{"the eel migration starts"});
    CHECK(f.texts(f.find(f.alice, "eel ")) ==
          texts_t{"a direct eel note", "secret eel plans", "the eel migration starts"});
    CHECK(f.texts(f.find(f.carol, "eel ")) == texts_t{"a direct eel note", "the eel migration starts"});
    // The same when the window is too small and the GIN index answers.
    CHECK(f.texts(f.find(f.bob, "eel ", 1)) == texts_t{"the eel migration starts"});
    CHECK(f.texts(f.find(f.alice, "eel ", 1)) ==
          texts_t{"a direct eel note", "secret eel plans", "the eel migration starts"});
    // in: a channel the searcher cannot read selects nothing.
    auto readable = f.run(db::list_channels(*f.pool, f.community, f.bob));
    REQUIRE(ok(readable));
    CHECK(search::channels_to_search(*readable, {"secret"}).unknown_channel);
}

TEST_CASE("search: deleted messages never, edited ones by their current text", "[pg][search]") {
    search_db f;
    auto gone = f.post(f.general, f.alice, "a regrettable eel remark", 3);
    auto changed = f.post(f.general, f.alice, "eels are fish", 2);
    auto gone_reply = f.post(f.general, f.bob, "first", 1);
    REQUIRE(ok(f.run(db::delete_message(*f.pool, f.general, gone))));
    REQUIRE(ok(
        f.run(db::edit_message(*f.pool, f.general, changed, "lampreys are not", "<p>lampreys are not</p>"))));
    REQUIRE(ok(f.run(db::delete_message(*f.pool, f.general, gone_reply))));

    for (int window : {1000, 1}) {
        INFO("window " << window);
        CHECK(f.find(f.bob, "regrettable ", window).hits.empty());
        CHECK(f.find(f.bob, "eels ", window).hits.empty());
        CHECK(f.find(f.bob, "first ", window).hits.empty());
        auto now = f.find(f.bob, "lampreys ", window);
        REQUIRE(now.hits.size() == 1);
        CHECK(now.hits[0].message.id == changed);
        CHECK(now.hits[0].message.edited_iso);
        // Filters alone list messages too, never deleted ones.
        CHECK(f.texts(f.find(f.bob, "from:alice", window)) == texts_t{"lampreys are not"});
    }
}

TEST_CASE("search: words as typed in any language, prefixes, quotes and -excluded words", "[pg][search]") {
    search_db f;
    f.post(f.general, f.alice, "Die Aale wandern nach Ålesund", 6);
    f.post(f.general, f.alice, "鰻 の 蒲焼", 5);
    f.post(f.general, f.alice, "river eel, not a sea eel", 4);
    f.post(f.general, f.alice, "a sea of eels", 3);
    f.post(f.general, f.alice, "eel river rafting", 2);

    for (int window : {1000, 1}) {
        INFO("window " << window);
        // 'simple': no stemming, lower case only: "eels" is not "eel".
        CHECK(f.texts(f.find(f.bob, "eel ", window)) ==
              texts_t{"eel river rafting", "river eel, not a sea eel"});
        // The word being typed matches as a prefix.
        CHECK(f.texts(f.find(f.bob, "ee", window)) ==
              texts_t{"eel river rafting", "a sea of eels", "river eel, not a sea eel"});
        CHECK(f.texts(f.find(f.bob, "ålesu", window)) == texts_t{"Die Aale wandern nach Ålesund"});
        CHECK(f.texts(f.find(f.bob, "aale ", window)) == texts_t{"Die Aale wandern nach Ålesund"});
        CHECK(f.texts(f.find(f.bob, "鰻", window)) == texts_t{"鰻 の 蒲焼"});
        // Quotes: the words next to each other, in that order.
        CHECK(f.texts(f.find(f.bob, "\"river eel\"", window)) == texts_t{"river eel, not a sea eel"});
        CHECK(f.texts(f.find(f.bob, "\"eel river\"", window)) == texts_t{"eel river rafting"});
        // -word: not with it.
        CHECK(f.texts(f.find(f.bob, "eel -sea ", window)) == texts_t{"eel river rafting"});
        CHECK(f.texts(f.find(f.bob, "sea or rafting ", window)) ==
              texts_t{"eel river rafting", "a sea of eels", "river eel, not a sea eel"});
    }
}

TEST_CASE("search: from: a member by name and in: a channel narrow it", "[pg][search]") {
    search_db f;
    f.post(f.general, f.alice, "eel by alice in general", 4);
    f.post(f.random, f.alice, "eel by alice in random", 3);
    f.post(f.general, f.bob, "eel by bob in general", 2);
    f.post(f.general, f.carol, "eel by carol in general", 1);

    CHECK(f.texts(f.find(f.bob, "eel from:ALICE ")) ==
          texts_t{"eel by alice in random", "eel by alice in general"});
    CHECK(f.texts(f.find(f.bob, "eel from:\"bob stone\" ")) == texts_t{"eel by bob in general"});
    CHECK(f.texts(f.find(f.bob, "eel in:random ")) == texts_t{"eel by alice in random"});
    CHECK(f.texts(f.find(f.bob, "in:#random")) == texts_t{"eel by alice in random"});
    CHECK(f.texts(f.find(f.bob, "eel from:alice in:general ")) == texts_t{"eel by alice in general"});
    // A member without a display name is found as the sidebar shows them: "User 3f2a".
    CHECK(f.texts(f.find(f.bob, "eel from:\"User " + f.carol.substr(0, 4) + "\"")) ==
          texts_t{"eel by carol in general"});
    auto nobody = f.run(db::members_named(*f.pool, f.community, {"Sam"}));
    REQUIRE(ok(nobody));
    CHECK((*nobody)[0].empty()); // a member of another community
}

TEST_CASE("search: newest first, a page at a time, with the matches marked", "[pg][search]") {
    search_db f;
    for (int i = 0; i < 7; ++i)
        f.post(f.general, f.alice, "eel number " + std::to_string(i) + " <b>bold</b>", 10 - i);
    f.post(f.general, f.alice, "no fish here", 0);

    for (int window : {1000, 3, 1}) {
        INFO("window " << window);
        std::vector<std::string> seen;
        std::optional<std::string> before;
        int pages = 0;
        for (;;) {
            auto p = f.find(f.bob, "eel ", window, 3, before);
            ++pages;
            for (const auto& h : p.hits)
                seen.push_back(h.message.text.substr(0, 12));
            if (!p.more) break;
            REQUIRE_FALSE(p.hits.empty());
            before = p.hits.back().message.id;
            REQUIRE(pages < 10);
        }
        CHECK(pages == 3);
        CHECK(seen == texts_t{"eel number 6", "eel number 5", "eel number 4", "eel number 3", "eel number 2",
                              "eel number 1", "eel number 0"});
    }
    auto p = f.find(f.bob, "number 6 ");
    REQUIRE(p.hits.size() == 1);
    CHECK(p.hits[0].snippet == "eel \x01number\x02 \x01"
                               "6\x02 <b>bold</b>");
    CHECK(p.hits[0].channel_id == f.general);
}
