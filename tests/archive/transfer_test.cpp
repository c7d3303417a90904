// A community exported from one database and imported into an empty second one reads the same on its
// pages: channel lists, messages in order with their authors, edits, deletions, replies, mentions,
// reactions and attached files (the same bytes, thumbnails too), and who may read the private channel.
// A damaged archive's files are refused and leave nothing behind.
#include "app/archive_commands.hpp"
#include "archive/transfer.hpp"
#include "core/crypto.hpp"
#include "core/tar.hpp"
#include "db/attachment_store.hpp"
#include "db/channel_store.hpp"
#include "db/chat_store.hpp"
#include "db/message_store.hpp"
#include "db/support.hpp"
#include "support/app_server.hpp"
#include "uploads/storage.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <functional>
#include <memory>
#include <sstream>
#include <tuple>
#include <vector>

using namespace eelchat;
namespace asio = boost::asio;
using test::ok;

namespace {

struct side {
    test::scratch_db db;
    asio::io_context ctx;
    std::unique_ptr<db::pool> pool;
    std::shared_ptr<asio::thread_pool> threads = uploads::make_file_threads(1);
    std::unique_ptr<uploads::storage> storage;
    std::unique_ptr<archive::file_store> files;

    side() {
        test::apply_all_migrations(db.url());
        db::pool_config pc;
        pc.conninfo = db.url();
        pc.max_size = 3;
        pool = std::make_unique<db::pool>(ctx.get_executor(), pc, logger::null());
        storage = uploads::make_storage("", *pool, threads);
        files = make_archive_files(*storage);
    }
    ~side() { pool->close(); }
    template <class T> T run(asio::awaitable<T> op) { return test::run_async(ctx, std::move(op)); }
    std::string value(const std::string& q) { return test::sql_value(db.url(), q); }
    std::string membership(const std::string& email) {
        return value("SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = '" +
                     email + "'");
    }
};

asio::awaitable<db::result<uploads::blob_info>> put_blob(uploads::storage& storage, std::string bytes) {
    auto w = co_await storage.begin(static_cast<std::int64_t>(bytes.size()));
    if (!w) co_return w.error();
    // In two pieces, as an upload arrives.
    const std::string_view all(bytes);
    auto first = co_await (*w)->append(all.substr(0, all.size() / 2));
    if (!first) co_return first.error();
    auto second = co_await (*w)->append(all.substr(all.size() / 2));
    if (!second) co_return second.error();
    co_return co_await (*w)->finish();
}

asio::awaitable<db::result<std::string>> get_blob(uploads::storage& storage, std::string id) {
    auto r = co_await storage.open(std::move(id));
    if (!r) co_return r.error();
    std::string out;
    while (static_cast<std::int64_t>(out.size()) < (*r)->size()) {
        auto piece = co_await (*r)->read(static_cast<std::int64_t>(out.size()), 1 << 16);
        if (!piece) co_return piece.error();
        if (piece->empty()) break;
        out += *piece;
    }
    co_return out;
}

// Bytes that are not text and do not repeat within a piece.
std::string some_bytes(std::size_t n, unsigned seed) {
    std::string out(n, '\0');
    for (auto& c : out) {
        seed = seed * 1103515245u + 12345u;
        c = static_cast<char>(seed >> 16);
    }
    return out;
}

// Attaches files (name, type, bytes, thumbnail bytes or empty) to a new message of `by` in `channel`.
std::string
post_with_files(side& s, const std::string& channel, const std::string& by, const std::string& text,
                const std::vector<std::tuple<std::string, std::string, std::string, std::string>>& fs) {
    const auto user = s.value("SELECT user_id FROM memberships WHERE id = '" + by + "'");
    db::new_message m;
    for (const auto& [name, type, bytes, thumb] : fs) {
        auto blob = s.run(put_blob(*s.storage, bytes));
        REQUIRE(ok(blob));
        db::upload_row u;
        u.channel_id = channel;
        u.user_id = user;
        u.name = name;
        u.content_type = type;
        u.size = blob->size;
        u.sha256 = blob->sha256;
        u.blob_id = blob->id;
        if (!thumb.empty()) {
            auto t = s.run(put_blob(*s.storage, thumb));
            REQUIRE(ok(t));
            u.inline_image = true;
            u.thumbnail_blob_id = t->id;
            u.thumbnail_type = "image/jpeg";
            u.width = 320;
            u.height = 200;
        }
        auto id = s.run(db::insert_upload(*s.pool, u));
        REQUIRE(ok(id));
        m.attachments.push_back(*id);
    }
    m.channel_id = channel;
    m.membership_id = by;
    m.text = text;
    m.html = "<p>" + text + "</p>";
    m.client_id = crypto::new_uuid();
    auto posted = s.run(db::post_message(*s.pool, m));
    REQUIRE(ok(posted));
    return posted->id;
}

// The bytes of every file of the community (and its thumbnail), by name in message and position order.
std::string files_of(side& s, const std::string& community) {
    const auto list =
        s.value("SELECT coalesce(string_agg(f.name || ' ' || f.blob_id || ' ' || "
                "coalesce(f.thumbnail_blob_id::text, '-'),"
                " ' ' ORDER BY x.seq, f.position), '') FROM uploads f JOIN messages x ON x.id = f.message_id"
                " WHERE x.community_id = '" +
                community + "'");
    std::istringstream in(list);
    std::string out, name, blob, thumb;
    while (in >> name >> blob >> thumb) {
        auto bytes = s.run(get_blob(*s.storage, blob));
        REQUIRE(ok(bytes));
        out += name + ":" + crypto::sha256_hex(*bytes) + ":" + std::to_string(bytes->size());
        if (thumb != "-") {
            auto t = s.run(get_blob(*s.storage, thumb));
            REQUIRE(ok(t));
            out += " thumbnail:" + crypto::sha256_hex(*t);
        }
        out += "\n";
    }
    return out;
}

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
    for (const auto& f : m.attachments) {
        out += " file:" + f.name + "(" + f.content_type + "," + std::to_string(f.size) + ")";
        if (f.inline_image) out += " inline";
        if (f.has_thumbnail) out += " thumbnail " + std::to_string(f.width) + "x" + std::to_string(f.height);
    }
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

    // Two files on one message, the image with its thumbnail and larger than a piece of the transfer.
    const auto png = "\x89PNG\r\n\x1a\n" + some_bytes(300 << 10, 7);
    const auto thumb = "\xff\xd8\xff" + some_bytes(5000, 8);
    const auto notes = std::string("eels are fish\n");
    post_with_files(from, general, carol, "look at this eel",
                    {{"eel.png", "image/png", png, thumb}, {"notes.txt", "text/plain", notes, ""}});
    post_with_files(from, hideout, alice, "the map", {{"map.txt", "text/plain", std::string("x marks"), ""}});

    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::tmpfile(), &std::fclose);
    auto conn = from.run(test::open_connection(from.db.url()));
    auto exported = from.run(
        archive::export_community(*conn, community, file.get(), "2026-12-03T00:00:00Z", *from.files));
    INFO(exported.error);
    REQUIRE(exported.written);
    CHECK(exported.written->messages == 10);
    CHECK(exported.written->reactions == 3);
    CHECK(exported.written->uploads == 3);

    side to;
    std::rewind(file.get());
    auto into = to.run(test::open_connection(to.db.url()));
    auto imported = to.run(archive::import_archive(*into, file.get(), *to.files));
    INFO(imported.error);
    REQUIRE(imported.counts);
    CHECK(imported.counts->new_users == 3);
    CHECK(imported.counts->messages == 10);
    CHECK(imported.counts->uploads == 3);
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
    const auto source_files = files_of(from, community);
    CHECK_THAT(source_files, Catch::Contains("eel.png:" + crypto::sha256_hex(png)) &&
                                 Catch::Contains("thumbnail:" + crypto::sha256_hex(thumb)) &&
                                 Catch::Contains("notes.txt:") && Catch::Contains("map.txt:"));
    CHECK(files_of(to, copy) == source_files);
    CHECK_THAT(bobs, Catch::Contains("file:eel.png(image/png," + std::to_string(png.size()) +
                                     ") inline thumbnail 320x200 file:notes.txt(text/plain,14)"));
    CHECK(to.value("SELECT count(*) FROM upload_garbage") == "0");
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
    // Seven messages there, renumbered 1 to 7 (the edits', deletions' and reactions' events are not kept).
    CHECK(posted->seq == 8);
}

namespace {

using file_ptr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

// A copy of the archive `in` with each entry's bytes passed through `edit` (which may change them),
// `extra` entries (name, bytes) added at the end, and the entry named `drop` left out.
file_ptr rewritten(std::FILE* in, const std::function<void(const std::string&, std::string&)>& edit,
                   const std::vector<std::pair<std::string, std::string>>& extra = {},
                   const std::string& drop = "") {
    std::rewind(in);
    file_ptr out(std::tmpfile(), &std::fclose);
    tar::reader r(in);
    tar::writer w(out.get());
    while (auto e = r.next()) {
        if (e->type == '5') {
            w.add_directory(e->name, 0);
            continue;
        }
        auto bytes = r.read_all(1 << 24);
        if (e->name == drop) continue;
        edit(e->name, bytes);
        w.begin_file(e->name, 0);
        w.write(bytes);
        w.end_file();
    }
    for (const auto& [name, bytes] : extra) {
        w.begin_file(name, 0);
        w.write(bytes);
        w.end_file();
    }
    w.finish();
    std::rewind(out.get());
    return out;
}

} // namespace

TEST_CASE("an archive whose files do not match their lines is refused and leaves nothing", "[pg][archive]") {
    side from;
    const auto community = from.value("INSERT INTO communities (title) VALUES ('Eel fans') RETURNING id");
    const auto user =
        from.value("INSERT INTO users (email, display_name) VALUES ('a@example.com', 'A') RETURNING id");
    const auto member = from.value("INSERT INTO memberships (user_id, community_id, roles) VALUES ('" + user +
                                   "', '" + community + "', '{admin}') RETURNING id");
    const auto general = from.value("INSERT INTO channels (community_id, title, kind) VALUES ('" + community +
                                    "', 'general', 'public') RETURNING id");
    post_with_files(from, general, member, "two files",
                    {{"a.txt", "text/plain", std::string("first file"), ""},
                     {"b.png", "image/png", some_bytes(4000, 3), some_bytes(900, 4)}});
    file_ptr file(std::tmpfile(), &std::fclose);
    auto conn = from.run(test::open_connection(from.db.url()));
    auto exported = from.run(
        archive::export_community(*conn, community, file.get(), "2026-12-03T00:00:00Z", *from.files));
    REQUIRE(exported.written);
    const auto upload = from.value("SELECT id FROM uploads WHERE name = 'b.png'");

    side to;
    auto into = to.run(test::open_connection(to.db.url()));
    auto refused = [&](file_ptr archive, const std::string& why) {
        auto imported = to.run(archive::import_archive(*into, archive.get(), *to.files));
        CHECK_FALSE(imported.counts);
        CHECK_THAT(imported.error, Catch::Contains(why));
        CHECK(imported.error.find('\n') == std::string::npos);
        // Nothing kept: no community, no upload row, no blob (the first file was stored before the
        // damaged one and is taken out again).
        CHECK(to.value("SELECT count(*) FROM communities") == "0");
        CHECK(to.value("SELECT count(*) FROM uploads") == "0");
        CHECK(to.value("SELECT count(*) FROM upload_blobs") == "0");
    };

    SECTION("a file whose bytes are not those of its sha256") {
        refused(rewritten(file.get(),
                          [&](const std::string& name, std::string& bytes) {
                              if (name == "files/" + upload) bytes[100] = static_cast<char>(bytes[100] ^ 1);
                          }),
                "files/" + upload + ": its bytes do not match the sha256 of its line");
    }
    SECTION("a file of another size than its line says") {
        refused(rewritten(file.get(),
                          [&](const std::string& name, std::string& bytes) {
                              if (name == "files/" + upload) bytes += "x";
                          }),
                "4001 bytes, its line says 4000");
    }
    SECTION("a files/ entry that no line names") {
        const auto stray = "files/" + crypto::new_uuid();
        refused(rewritten(file.get(), [](const std::string&, std::string&) {}, {{stray, "who am I"}}),
                stray + ": no line of uploads.jsonl expects it");
    }
    SECTION("a line whose thumbnail is missing") {
        refused(
            rewritten(
                file.get(), [](const std::string&, std::string&) {}, {}, "files/" + upload + ".thumbnail"),
            "files/" + upload + ".thumbnail is missing");
    }
    SECTION("an unchanged copy imports, so the refusals above are the damage's") {
        auto copy = rewritten(file.get(), [](const std::string&, std::string&) {});
        auto imported = to.run(archive::import_archive(*into, copy.get(), *to.files));
        INFO(imported.error);
        REQUIRE(imported.counts);
        CHECK(imported.counts->uploads == 2);
        CHECK(to.value("SELECT count(*) FROM upload_blobs") == "3");
    }
}
