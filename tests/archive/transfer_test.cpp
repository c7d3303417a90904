// A community exported from one database and imported into an empty second one reads the same on its
// pages: channel lists, messages in order with their authors, edits, deletions, replies, mentions and
// reactions, and who may read the private channel.
#include "archive/transfer.hpp"
#include "core/crypto.hpp"
#include "db/channel_store.hpp"
#include "db/chat_store.hpp"
#include "db/message_store.hpp"
#include "db/support.hpp"
#include "support/app_server.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <memory>

using namespace eelchat;
namespace asio = boost::asio;
using test::ok;

namespace {

struct side {
    test::scratch_db db;
    asio::io_context ctx;
    std::unique_ptr<db::pool> pool;

    side() {
        test::apply_all_migrations(db.url());
        db::pool_config pc;
        pc.conninfo = db.url();
        pc.max_size = 2;
        pool = std::make_unique<db::pool>(ctx.get_executor(), pc, logger::null());
    }
    ~side() { pool->close(); }
    template <class T> T run(asio::awaitable<T> op) { return test::run_async(ctx, std::move(op)); }
    std::string value(const std::string& q) { return test::sql_value(db.url(), q); }
    std::string membership(const std::string& email) {
        return value("SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = '" +
                     email + "'");
    }
};

std::string describe(const db::message_row& m) {
    std::string out = "  [" + (m.is_system ? std::string("system") : m.display_name.value_or("?")) + "] " +
                      (m.deleted ? "(deleted)" : m.text) + " html=" + m.html.value_or("-") + " at " +
                      m.created_iso;
    if (m.edited_iso) out += " edited";
    if (m.reply_count) out += " replies=" + std::to_string(m.reply_count);
    for (const auto& r : m.reactions) {
        out += " " + r.emoji + "x" + std::to_string(r.count) + "(";
        for (const auto& n : r.names)
            out += n + ",";
        out += ")";
    }
    for (const auto& [id, name] : m.mentions)
        out += " @" + name;
    if (m.mention_channel) out += " @channel";
    return out + "\n";
}

// What `email`'s pages of the community show: its channels, each channel's messages, each thread.
std::string pages_of(side& s, const std::string& community, const std::string& email) {
    const auto me = s.membership(email);
    auto channels = s.run(db::list_channels(*s.pool, community, me));
    REQUIRE(ok(channels));
    std::string out;
    for (const auto& c : *channels) {
        out += c.kind + " " + c.title + " (" + c.topic + ")\n";
        auto page = s.run(db::recent_messages(*s.pool, c.id, std::nullopt, 100));
        REQUIRE(ok(page));
        for (const auto& m : page->messages) {
            out += describe(m);
            if (m.reply_count == 0) continue;
            auto thread = s.run(db::thread_messages(*s.pool, c.id, m.id, 100));
            REQUIRE(ok(thread));
            REQUIRE(thread->has_value());
            for (const auto& r : (*thread)->replies)
                out += "   reply:" + describe(r);
        }
    }
    return out;
}

} // namespace

TEST_CASE("an exported community imported into an empty database shows the same pages", "[pg][archive]") {
    side from;
    const auto community = from.value("INSERT INTO communities (title) VALUES ('Eel fans') RETURNING id");
    auto member = [&](const std::string& email, const std::string& name, const std::string& roles) {
        auto user = from.value("INSERT INTO users (email, display_name) VALUES ('" + email + "', '" + name +
                               "') RETURNING id");
        return from.value("INSERT INTO memberships (user_id, community_id, roles) VALUES ('" + user + "', '" +
                          community + "', '" + roles + "') RETURNING id");
    };
    const auto alice = member("alice@example.com", "Alice", "{admin}");
    const auto bob = member("bob@example.com", "Bob", "{}");
    const auto carol = member("carol@example.com", "Carol", "{}");
    auto channel = [&](const std::string& title, const std::string& kind) {
        return from.value("INSERT INTO channels (community_id, title, kind, topic) VALUES ('" + community +
                          "', '" + title + "', '" + kind + "', 'about " + title + "') RETURNING id");
    };
    const auto general = channel("general", "public");
    const auto hideout = channel("hideout", "private");
    from.value("INSERT INTO channel_members (channel_id, membership_id) VALUES ('" + hideout + "', '" +
               alice + "'), ('" + hideout + "', '" + carol + "') RETURNING channel_id");
    std::vector<std::string> pair{alice, bob};
    auto direct = from.run(db::open_direct(*from.pool, community, pair));
    REQUIRE(ok(direct));
    REQUIRE(direct->has_value());

    auto post = [&](const std::string& in, const std::string& by, const std::string& text,
                    std::optional<std::string> parent = std::nullopt,
                    std::vector<std::string> mentions = {}) {
        db::new_message m;
        m.channel_id = in;
        m.membership_id = by;
        m.text = text;
        m.html = "<p>" + text + "</p>";
        m.parent_id = std::move(parent);
        m.mentions = std::move(mentions);
        m.client_id = crypto::new_uuid();
        auto posted = from.run(db::post_message(*from.pool, m));
        REQUIRE(ok(posted));
        return posted->id;
    };
    const auto hello = post(general, alice, "hello @Bob", std::nullopt, {bob});
    const auto typo = post(general, bob, "tpyo");
    const auto oops = post(general, bob, "oops");
    post(general, carol, "a reply", hello);
    post(general, bob, "another reply", hello);
    post(general, carol, "a reply to what goes", oops);
    post(hideout, carol, "secret plans");
    post(**direct, bob, "psst");
    REQUIRE(ok(from.run(db::edit_message(*from.pool, general, typo, "typo", "<p>typo</p>"))));
    REQUIRE(ok(from.run(db::delete_message(*from.pool, general, oops))));
    const std::vector<std::pair<std::string, std::string>> reactions{{bob, "👍"}, {carol, "👍"}, {carol, "🐍"}};
    for (const auto& [who, emoji] : reactions)
        REQUIRE(ok(from.run(db::toggle_reaction(*from.pool, general, hello, who, emoji, 20))));

    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::tmpfile(), &std::fclose);
    auto conn = from.run(test::open_connection(from.db.url()));
    auto exported = from.run(archive::export_community(*conn, community, file.get(), "2026-12-03T00:00:00Z"));
    REQUIRE(exported.written);
    CHECK(exported.written->messages == 8);
    CHECK(exported.written->reactions == 3);

    side to;
    std::rewind(file.get());
    auto into = to.run(test::open_connection(to.db.url()));
    auto imported = to.run(archive::import_archive(*into, file.get()));
    INFO(imported.error);
    REQUIRE(imported.counts);
    CHECK(imported.counts->new_users == 3);
    CHECK(imported.counts->messages == 8);
    const auto copy = imported.counts->community_id;
    CHECK(copy != community);
    CHECK(to.value("SELECT title FROM communities WHERE id = '" + copy + "'") == "Eel fans");

    for (const std::string email : {"alice@example.com", "bob@example.com", "carol@example.com"}) {
        INFO(email);
        const auto before = pages_of(from, community, email);
        const auto after = pages_of(to, copy, email);
        CHECK(after == before);
    }
    // Bob is not in the private channel; Carol is, and not in Alice and Bob's conversation.
    const auto bobs = pages_of(to, copy, "bob@example.com");
    CHECK_THAT(bobs, !Catch::Contains("secret plans"));
    CHECK_THAT(bobs, Catch::Contains("psst"));
    CHECK_THAT(pages_of(to, copy, "carol@example.com"),
               Catch::Contains("secret plans") && !Catch::Contains("psst"));
    CHECK_THAT(bobs, Catch::Contains("hello @Bob") && Catch::Contains("👍x2(Bob,Carol,)") &&
                         Catch::Contains("replies=2") && Catch::Contains("(deleted)") &&
                         Catch::Contains("@Bob"));

    // Posting after the import continues each channel's numbering.
    const auto general_copy =
        to.value("SELECT id FROM channels WHERE community_id = '" + copy + "' AND title = 'general'");
    db::new_message next;
    next.channel_id = general_copy;
    next.membership_id = to.membership("alice@example.com");
    next.text = "after the move";
    next.client_id = crypto::new_uuid();
    auto posted = to.run(db::post_message(*to.pool, next));
    REQUIRE(ok(posted));
    // Six messages there, renumbered 1 to 6 (the edits', deletions' and reactions' events are not kept).
    CHECK(posted->seq == 7);
}
