// Read markers, unread counts, mention candidates and presence in PostgreSQL (db/attention_store.hpp).
#include "db/attention_store.hpp"
#include "db/support.hpp"
#include "support/app_server.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;
namespace asio = boost::asio;
using test::ok;

namespace {

struct attention_db {
    test::scratch_db db;
    asio::io_context ctx;
    std::unique_ptr<db::pool> pool;
    std::string community, general, secret, alice, bob, carol, alice_user, bob_user;

    attention_db() {
        test::apply_all_migrations(db.url());
        db::pool_config pc;
        pc.conninfo = db.url();
        pc.max_size = 2;
        pool = std::make_unique<db::pool>(ctx.get_executor(), pc, logger::null());
        alice_user = value("INSERT INTO users (email, display_name) VALUES ('a@x', 'Alice') RETURNING id");
        bob_user = value("INSERT INTO users (email, display_name) VALUES ('b@x', 'Bob Stone') RETURNING id");
        auto carol_user = value("INSERT INTO users (email, display_name) VALUES ('c@x', 'bob') RETURNING id");
        community = value("INSERT INTO communities (title) VALUES ('Eels') RETURNING id");
        auto member = [&](const std::string& u) {
            return value("INSERT INTO memberships (user_id, community_id, joined_at) VALUES ('" + u + "', '" +
                         community + "', now() - interval '1 day') RETURNING id");
        };
        alice = member(alice_user);
        bob = member(bob_user);
        carol = member(carol_user);
        general = value("INSERT INTO channels (community_id, title) VALUES ('" + community +
                        "', 'general') RETURNING id");
        secret = value("INSERT INTO channels (community_id, title, kind) VALUES ('" + community +
                       "', 'secret', 'private') RETURNING id");
        value("INSERT INTO channel_members (channel_id, membership_id, added_at) VALUES ('" + secret + "', '" +
              alice + "', now() - interval '1 day')");
    }
    ~attention_db() { pool->close(); }

    template <class T> T run(asio::awaitable<T> op) { return test::run_async(ctx, std::move(op)); }
    std::string value(const std::string& q) { return test::sql_value(db.url(), q); }
    // A message by `by` (a membership id) mentioning `mentions` (a uuid[] literal or NULL).
    void post(const std::string& channel, const std::string& by, const std::string& mentions = "NULL",
              const std::string& parent = "NULL") {
        value("WITH c AS (UPDATE channels SET last_seq = last_seq + 1 WHERE id = '" + channel +
              "' RETURNING last_seq) INSERT INTO messages (channel_id, seq, membership_id, text, mentions, "
              "parent_id) SELECT '" + channel + "', last_seq, '" + by + "', 'hi', " + mentions + ", " + parent +
              " FROM c RETURNING seq");
    }
    db::unread_row counts_of(const std::string& membership, const std::string& channel) {
        auto all = run(db::unread_counts(*pool, community, membership));
        REQUIRE(ok(all));
        for (const auto& r : *all)
            if (r.channel_id == channel) return r;
        return {};
    }
};

} // namespace

TEST_CASE("unread counts: others' messages after the marker, mentions apart, own and replies not", "[pg][attention]") {
    attention_db f;
    f.post(f.general, f.alice);
    f.post(f.general, f.alice, "ARRAY['" + f.bob + "']::uuid[]");
    f.post(f.general, f.bob); // his own
    auto first = f.value("SELECT id FROM messages WHERE seq = 1 AND channel_id = '" + f.general + "'");
    f.post(f.general, f.alice, "NULL", "'" + first + "'"); // a reply, not mentioning him
    auto c = f.counts_of(f.bob, f.general);
    CHECK(c.unread == 2);
    CHECK(c.mentions == 1);
    CHECK(c.last_seq == 4);

    // Reading up to 2 leaves nothing unread by others; the announcement goes out; backwards only when asked.
    auto read = f.run(db::set_read_marker(*f.pool, f.community, f.bob, f.general, 2, false));
    REQUIRE(ok(read));
    REQUIRE(*read);
    CHECK((*read)->moved);
    CHECK((*read)->counts.unread == 0);
    auto again = f.run(db::set_read_marker(*f.pool, f.community, f.bob, f.general, 1, false));
    REQUIRE(ok(again));
    CHECK_FALSE((*again)->moved);
    CHECK((*again)->counts.read_seq == 2);
    auto back = f.run(db::set_read_marker(*f.pool, f.community, f.bob, f.general, 1, true));
    REQUIRE(ok(back));
    CHECK((*back)->moved);
    CHECK((*back)->counts.unread == 1);
    CHECK((*back)->counts.mentions == 1);
    // A marker beyond the channel's newest event stops there.
    auto beyond = f.run(db::set_read_marker(*f.pool, f.community, f.bob, f.general, 999, false));
    REQUIRE(ok(beyond));
    CHECK((*beyond)->counts.read_seq == 4);
}

TEST_CASE("unread counts: private channels only for their members, markers refused elsewhere", "[pg][attention]") {
    attention_db f;
    f.post(f.secret, f.alice);
    auto bobs = f.run(db::unread_counts(*f.pool, f.community, f.bob));
    REQUIRE(ok(bobs));
    for (const auto& r : *bobs)
        CHECK(r.channel_id != f.secret);
    auto refused = f.run(db::set_read_marker(*f.pool, f.community, f.bob, f.secret, 1, false));
    REQUIRE(ok(refused));
    CHECK_FALSE(*refused);
    auto may = f.run(db::may_read_channel(*f.pool, f.community, f.bob, f.secret));
    REQUIRE(ok(may));
    CHECK_FALSE(*may);
    auto aud = f.run(db::channel_audience_of(*f.pool, f.secret));
    REQUIRE(ok(aud));
    CHECK((*aud)->members == std::vector<std::string>{f.alice});
}

TEST_CASE("unread counts: a newcomer sees only what came after they joined", "[pg][attention]") {
    attention_db f;
    f.post(f.general, f.alice);
    f.post(f.general, f.alice);
    f.value("UPDATE memberships SET joined_at = now() + interval '1 second' WHERE id = '" + f.bob + "'");
    CHECK(f.counts_of(f.bob, f.general).unread == 0);
    auto pos = f.run(db::read_marker_of(*f.pool, f.general, f.bob));
    REQUIRE(ok(pos));
    CHECK(pos->seq == 2);
    CHECK_FALSE(pos->saved);
}

TEST_CASE("mention candidates: readers of the channel by name or word prefix, names resolved in any case",
          "[pg][attention]") {
    attention_db f;
    auto bo = f.run(db::mention_candidates(*f.pool, f.general, "bo", 8));
    REQUIRE(ok(bo));
    REQUIRE(bo->size() == 2);
    CHECK((*bo)[0].name == "bob");
    CHECK((*bo)[1].name == "Bob Stone");
    auto stone = f.run(db::mention_candidates(*f.pool, f.general, "sto", 8));
    REQUIRE(ok(stone));
    REQUIRE(stone->size() == 1);
    auto wild = f.run(db::mention_candidates(*f.pool, f.general, "%", 8));
    REQUIRE(ok(wild));
    CHECK(wild->empty());
    auto secret = f.run(db::mention_candidates(*f.pool, f.secret, "", 8));
    REQUIRE(ok(secret));
    REQUIRE(secret->size() == 1);
    CHECK((*secret)[0].membership_id == f.alice);
    std::vector<std::string> names{"bob stone", "alice"};
    auto resolved = f.run(db::resolve_mentions(*f.pool, f.secret, names));
    REQUIRE(ok(resolved));
    REQUIRE(resolved->size() == 1); // Bob cannot read the private channel
    CHECK((*resolved)[0].second == f.alice);
}

TEST_CASE("presence: a user is online while a live instance counts a page, and a dead instance is swept",
          "[pg][attention]") {
    attention_db f;
    const std::string here = "10000000-0000-0000-0000-000000000001";
    const std::string dead = "10000000-0000-0000-0000-000000000002";
    auto created = f.run(db::instance_heartbeat(*f.pool, here));
    REQUIRE(ok(created));
    CHECK(*created);
    std::vector<db::presence_count> counts{{f.alice_user, 1, 1}};
    REQUIRE(ok(f.run(db::write_presence(*f.pool, here, counts))));
    auto online = f.run(db::online_members(*f.pool, f.community));
    REQUIRE(ok(online));
    CHECK(*online == std::vector<std::string>{f.alice_user});
    auto p = f.run(db::presence_of(*f.pool, f.alice_user));
    REQUIRE(ok(p));
    CHECK(p->online);
    CHECK(p->communities == std::vector<std::string>{f.community});

    // Another process that stopped being seen: its users no longer count, and the next heartbeat sweeps it.
    f.value("INSERT INTO instances (id, seen_at) VALUES ('" + dead + "', now() - interval '5 minutes')");
    f.value("INSERT INTO presence VALUES ('" + dead + "', '" + f.bob_user + "', 1, 1)");
    auto bob = f.run(db::presence_of(*f.pool, f.bob_user));
    REQUIRE(ok(bob));
    CHECK_FALSE(bob->online);
    auto again = f.run(db::instance_heartbeat(*f.pool, here));
    REQUIRE(ok(again));
    CHECK_FALSE(*again);
    CHECK(f.value("SELECT count(*) FROM instances") == "1");

    counts = {{f.alice_user, 0, 0}};
    REQUIRE(ok(f.run(db::write_presence(*f.pool, here, counts))));
    CHECK(f.value("SELECT count(*) FROM presence") == "0");
    REQUIRE(ok(f.run(db::remove_instance(*f.pool, here))));
    CHECK(f.value("SELECT count(*) FROM instances") == "0");
}
