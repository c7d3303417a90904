// Notifications in PostgreSQL (migration 0009, db/push_store.hpp): who the trigger queues for a new
// message, claims that make each notification one sender's, retries of the failed subscriptions only,
// the subscriptions' ownership and cap, the installation's one key pair, and the unread-email claims.
#include "db/push_store.hpp"
#include "db/support.hpp"
#include "support/app_server.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;
namespace asio = boost::asio;
using test::ok;

namespace {

struct push_db {
    test::scratch_db db;
    asio::io_context ctx;
    std::unique_ptr<db::pool> pool;
    std::string community, general, secret, direct, alice, bob, carol, alice_user, bob_user, carol_user;

    push_db() {
        test::apply_all_migrations(db.url());
        db::pool_config pc;
        pc.conninfo = db.url();
        pc.max_size = 2;
        pool = std::make_unique<db::pool>(ctx.get_executor(), pc, logger::null());
        alice_user = value("INSERT INTO users (email, display_name) VALUES ('a@x', 'Alice') RETURNING id");
        bob_user = value("INSERT INTO users (email, display_name) VALUES ('b@x', 'Bob') RETURNING id");
        carol_user = value("INSERT INTO users (email) VALUES ('c@x') RETURNING id");
        community = value("INSERT INTO communities (title) VALUES ('Eels') RETURNING id");
        auto member = [&](const std::string& u) {
            return value("INSERT INTO memberships (user_id, community_id) VALUES ('" + u + "', '" +
                         community + "') RETURNING id");
        };
        alice = member(alice_user);
        bob = member(bob_user);
        carol = member(carol_user);
        general = channel("general", "public");
        secret = channel("secret", "private");
        direct = channel("Alice, Bob", "direct");
        add(secret, alice);
        add(direct, alice);
        add(direct, bob);
    }
    ~push_db() { pool->close(); }

    std::string channel(const std::string& title, const std::string& kind) {
        return value("INSERT INTO channels (community_id, title, kind) VALUES ('" + community + "', '" +
                     title + "', '" + kind + "') RETURNING id");
    }
    void add(const std::string& channel, const std::string& member) {
        value("INSERT INTO channel_members (channel_id, membership_id) VALUES ('" + channel + "', '" +
              member + "')");
    }
    template <class T> T run(asio::awaitable<T> op) { return test::run_async(ctx, std::move(op)); }
    std::string value(const std::string& q) { return test::sql_value(db.url(), q); }
    // A message by membership `by`; returns its id.
    std::string post(const std::string& channel, const std::string& by, const std::string& mentions = "NULL",
                     bool everyone = false) {
        return value(
            "WITH c AS (UPDATE channels SET last_seq = last_seq + 1 WHERE id = '" + channel +
            "' RETURNING last_seq) INSERT INTO messages (channel_id, seq, membership_id, text, mentions,"
            " mention_channel) SELECT '" +
            channel + "', last_seq, '" + by + "', 'hello there', " + mentions + ", " +
            (everyone ? "true" : "false") + " FROM c RETURNING id");
    }
    // The users queued for message `id`, by email, sorted.
    std::string told(const std::string& id) {
        return value("SELECT coalesce(string_agg(u.email, ',' ORDER BY u.email), '') FROM notifications n"
                     " JOIN users u ON u.id = n.user_id WHERE n.message_id = '" +
                     id + "'");
    }
    void subscribe(const std::string& user, const std::string& endpoint) {
        db::push_subscription_row row;
        row.endpoint = endpoint;
        row.p256dh = std::string(87, 'B');
        row.auth = std::string(22, 'A');
        REQUIRE(ok(run(db::save_push_subscription(*pool, user, row, 3))));
    }
};

} // namespace

TEST_CASE(
    "notifications: mentions, @channel, direct conversations and followed channels, never the author or "
    "someone who cannot read",
    "[pg][push]") {
    push_db f;
    CHECK(f.told(f.post(f.general, f.alice)) == "");
    CHECK(f.told(f.post(f.general, f.alice, "ARRAY['" + f.bob + "']::uuid[]")) == "b@x");
    CHECK(f.told(f.post(f.general, f.alice, "ARRAY['" + f.alice + "']::uuid[]")) == ""); // herself
    CHECK(f.told(f.post(f.secret, f.alice, "ARRAY['" + f.bob + "']::uuid[]")) == "");    // he cannot read it
    CHECK(f.told(f.post(f.general, f.alice, "NULL", true)) == "b@x,c@x");                // @channel
    CHECK(f.told(f.post(f.direct, f.alice)) == "b@x");                                   // every DM
    CHECK(f.told(f.post(f.direct, f.bob)) == "a@x");
    // A community being imported is history: nobody is told.
    auto imported =
        f.value("WITH s AS MATERIALIZED (SELECT set_config('eelchat.importing', 'on', true) AS v),"
                " c AS (UPDATE channels SET last_seq = last_seq + 1 WHERE id = '" +
                f.direct +
                "' AND (SELECT v FROM s) = 'on' RETURNING last_seq) INSERT INTO messages (channel_id,"
                " seq, membership_id, text) SELECT '" +
                f.direct + "', last_seq, '" + f.alice + "', 'old' FROM c RETURNING id");
    CHECK(f.told(imported) == "");

    REQUIRE(ok(f.run(db::set_notify_level(*f.pool, f.direct, f.bob, "none"))));
    CHECK(f.told(f.post(f.direct, f.alice)) == "");
    REQUIRE(ok(f.run(db::set_notify_level(*f.pool, f.general, f.carol, "all"))));
    CHECK(f.told(f.post(f.general, f.alice)) == "c@x");
    REQUIRE(ok(f.run(db::set_notify_level(*f.pool, f.general, f.bob, "none"))));
    CHECK(f.told(f.post(f.general, f.alice, "ARRAY['" + f.bob + "']::uuid[]")) == "c@x");
    auto level = f.run(db::notify_level_of(*f.pool, f.general, f.bob));
    REQUIRE(ok(level));
    CHECK(*level == "none");
    REQUIRE(ok(f.run(db::set_notify_level(*f.pool, f.general, f.bob, ""))));
    level = f.run(db::notify_level_of(*f.pool, f.general, f.bob));
    REQUIRE(ok(level));
    CHECK(level->empty());
}

TEST_CASE("push claims: one sender each, what it shows, retries only the failed subscriptions",
          "[pg][push]") {
    push_db f;
    f.subscribe(f.bob_user, "https://push.example/one");
    f.subscribe(f.bob_user, "https://push.example/two");
    f.post(f.general, f.alice, "ARRAY['" + f.bob + "']::uuid[]");

    auto claimed = f.run(db::claim_push_notifications(*f.pool, 10, std::chrono::seconds(60)));
    REQUIRE(ok(claimed));
    REQUIRE(claimed->size() == 1);
    const auto n = claimed->front();
    CHECK(n.user_id == f.bob_user);
    CHECK(n.author_name == "Alice");
    CHECK(n.channel_title == "general");
    CHECK(n.community_title == "Eels");
    CHECK(n.text == "hello there");
    CHECK(n.attempts == 1);
    CHECK_FALSE(n.visible);
    CHECK(n.readable);
    CHECK_FALSE(n.deleted);
    REQUIRE(n.subscriptions.size() == 2);

    // Claimed: no other sender gets it.
    auto again = f.run(db::claim_push_notifications(*f.pool, 10, std::chrono::seconds(60)));
    REQUIRE(ok(again));
    CHECK(again->empty());

    // The second subscription failed: only it is tried again.
    std::vector<std::string> pending{n.subscriptions[1].id};
    REQUIRE(ok(f.run(db::finish_push(*f.pool, n.id, pending, std::chrono::seconds(0), false))));
    auto retry = f.run(db::claim_push_notifications(*f.pool, 10, std::chrono::seconds(60)));
    REQUIRE(ok(retry));
    REQUIRE(retry->size() == 1);
    CHECK(retry->front().attempts == 2);
    REQUIRE(retry->front().subscriptions.size() == 1);
    CHECK(retry->front().subscriptions[0].endpoint == "https://push.example/two");
    REQUIRE(ok(f.run(db::finish_push(*f.pool, n.id, {}, std::chrono::seconds(0), false))));
    CHECK(f.value("SELECT count(*) FROM notifications") == "0");

    // A visible tab on a live instance, and a deleted message, are flagged.
    f.value("INSERT INTO instances (id) VALUES (gen_random_uuid())");
    f.value("INSERT INTO presence (instance_id, user_id, tabs, visible) SELECT id, '" + f.bob_user +
            "', 1, 1 FROM instances");
    auto gone = f.post(f.general, f.alice, "ARRAY['" + f.bob + "']::uuid[]");
    f.value("UPDATE messages SET deleted_at = now() WHERE id = '" + gone + "'");
    auto seen = f.run(db::claim_push_notifications(*f.pool, 10, std::chrono::seconds(60)));
    REQUIRE(ok(seen));
    REQUIRE(seen->size() == 1);
    CHECK(seen->front().visible);
    CHECK(seen->front().deleted);
}

TEST_CASE("push subscriptions: an endpoint has one owner, and each person keeps their newest few",
          "[pg][push]") {
    push_db f;
    f.subscribe(f.bob_user, "https://push.example/shared");
    f.subscribe(f.alice_user, "https://push.example/shared"); // Alice signed in to the same browser
    auto bob_count = f.run(db::count_push_subscriptions(*f.pool, f.bob_user));
    REQUIRE(ok(bob_count));
    CHECK(*bob_count == 0);
    for (int i = 0; i < 5; ++i)
        f.subscribe(f.bob_user, "https://push.example/b" + std::to_string(i));
    bob_count = f.run(db::count_push_subscriptions(*f.pool, f.bob_user));
    REQUIRE(ok(bob_count));
    CHECK(*bob_count == 3);
    CHECK(f.value(
              "SELECT string_agg(endpoint, ',' ORDER BY endpoint) FROM push_subscriptions WHERE user_id = '" +
              f.bob_user + "'") == "https://push.example/b2,https://push.example/b3,https://push.example/b4");
    auto gone = f.run(db::delete_push_subscription(*f.pool, f.bob_user, "https://push.example/b3"));
    REQUIRE(ok(gone));
    CHECK(*gone);
    auto not_his = f.run(db::delete_push_subscription(*f.pool, f.bob_user, "https://push.example/shared"));
    REQUIRE(ok(not_his));
    CHECK_FALSE(*not_his);
}

TEST_CASE("VAPID keys: the first instance's pair is everyone's", "[pg][push]") {
    push_db f;
    db::stored_vapid_keys first{std::string(43, 'a'), std::string(87, 'b')};
    db::stored_vapid_keys second{std::string(43, 'c'), std::string(87, 'd')};
    auto none = f.run(db::vapid_public_key(*f.pool));
    REQUIRE(ok(none));
    CHECK_FALSE(none->has_value());
    auto one = f.run(db::installation_vapid_keys(*f.pool, first));
    auto two = f.run(db::installation_vapid_keys(*f.pool, second));
    REQUIRE(ok(one));
    REQUIRE(ok(two));
    CHECK(one->private_key == first.private_key);
    CHECK(two->private_key == first.private_key);
    CHECK(two->public_key == first.public_key);
    auto pub = f.run(db::vapid_public_key(*f.pool));
    REQUIRE(ok(pub));
    CHECK(**pub == first.public_key);
}

TEST_CASE("unread emails: claimed once per person, messages read since then left out", "[pg][push]") {
    push_db f;
    auto m1 = f.post(f.general, f.alice, "ARRAY['" + f.bob + "']::uuid[]");
    auto m2 = f.post(f.direct, f.alice);
    auto pushes = f.run(db::claim_push_notifications(*f.pool, 10, std::chrono::seconds(60)));
    REQUIRE(ok(pushes));
    REQUIRE(pushes->size() == 2);
    for (const auto& n : *pushes)
        REQUIRE(ok(f.run(db::finish_push(*f.pool, n.id, {}, std::chrono::seconds(0), true))));
    // Bob read general up to the mention; the direct message stays unread.
    f.value("INSERT INTO channel_reads (channel_id, membership_id, last_read_seq) SELECT '" + f.general +
            "', '" + f.bob + "', seq FROM messages WHERE id = '" + m1 + "'");

    auto due =
        f.run(db::claim_due_emails(*f.pool, std::chrono::seconds(0), 10, 10, std::chrono::seconds(60)));
    REQUIRE(ok(due));
    REQUIRE(due->size() == 1);
    const auto& e = due->front();
    CHECK(e.email == "b@x");
    CHECK(e.ids.size() == 2);
    REQUIRE(e.items.size() == 1);
    CHECK(e.items[0].message_id == m2);
    CHECK(e.items[0].channel_kind == "direct");
    CHECK(e.items[0].author_name == "Alice");
    auto twice =
        f.run(db::claim_due_emails(*f.pool, std::chrono::seconds(0), 10, 10, std::chrono::seconds(60)));
    REQUIRE(ok(twice));
    CHECK(twice->empty());
    REQUIRE(ok(f.run(db::finish_emails(*f.pool, e.ids))));
    CHECK(f.value("SELECT count(*) FROM notifications") == "0");

    // Not yet due: nothing.
    f.post(f.direct, f.alice);
    auto later = f.run(db::claim_push_notifications(*f.pool, 10, std::chrono::seconds(60)));
    REQUIRE(ok(later));
    REQUIRE(ok(f.run(db::finish_push(*f.pool, later->front().id, {}, std::chrono::seconds(0), true))));
    auto early =
        f.run(db::claim_due_emails(*f.pool, std::chrono::seconds(600), 10, 10, std::chrono::seconds(60)));
    REQUIRE(ok(early));
    CHECK(early->empty());
}
