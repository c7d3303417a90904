// Uploads' rows in PostgreSQL (db/attachment_store.hpp, migration 0012) and how messages carry them
// (db/message_store.hpp): only the poster's pending uploads of the channel become a message's, in the
// order sent; a deleted message takes its files along and queues their blobs for removal.
#include "core/crypto.hpp"
#include "db/attachment_store.hpp"
#include "db/message_store.hpp"
#include "db/support.hpp"
#include "support/app_server.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;
namespace asio = boost::asio;
using test::ok;

namespace {

struct person {
    std::string user, membership;
};

struct files_db {
    test::scratch_db db;
    asio::io_context ctx;
    std::unique_ptr<db::pool> pool;
    std::string community, general, random;
    person alice, bob;

    files_db() {
        test::apply_all_migrations(db.url());
        db::pool_config pc;
        pc.conninfo = db.url();
        pc.max_size = 2;
        pool = std::make_unique<db::pool>(ctx.get_executor(), pc, logger::null());
        community = value("INSERT INTO communities (title) VALUES ('Eels') RETURNING id");
        alice = member("a@x");
        bob = member("b@x");
        general = value("INSERT INTO channels (community_id, title) VALUES ('" + community +
                        "', 'general') RETURNING id");
        random = value("INSERT INTO channels (community_id, title) VALUES ('" + community +
                       "', 'random') RETURNING id");
    }
    ~files_db() { pool->close(); }

    template <class T> T run(asio::awaitable<T> op) { return test::run_async(ctx, std::move(op)); }
    std::string value(const std::string& q) { return test::sql_value(db.url(), q); }
    person member(const std::string& email) {
        auto user = value("INSERT INTO users (email) VALUES ('" + email + "') RETURNING id");
        auto m = value("INSERT INTO memberships (user_id, community_id) VALUES ('" + user + "', '" +
                       community + "') RETURNING id");
        return {user, m};
    }
    std::string upload(const person& by, const std::string& channel, const std::string& name,
                       bool image = false) {
        db::upload_row u;
        u.channel_id = channel;
        u.user_id = by.user;
        u.name = name;
        u.content_type = image ? "image/png" : "application/pdf";
        u.size = 1000;
        u.sha256 = std::string(64, 'a');
        u.blob_id = crypto::new_uuid();
        u.inline_image = image;
        if (image) {
            u.thumbnail_blob_id = crypto::new_uuid();
            u.thumbnail_type = "image/png";
            u.width = 80;
            u.height = 60;
        }
        auto id = run(db::insert_upload(*pool, u));
        REQUIRE(ok(id));
        return *id;
    }
    db::posted_message post(const person& by, const std::string& channel, std::vector<std::string> files) {
        db::new_message m;
        m.channel_id = channel;
        m.membership_id = by.membership;
        m.text = "";
        m.client_id = crypto::new_uuid();
        m.attachments = std::move(files);
        auto posted = run(db::post_message(*pool, m));
        REQUIRE(ok(posted));
        return *posted;
    }
};

} // namespace

TEST_CASE("files become a message's when it is posted, in order, and only the poster's pending ones of that "
          "channel",
          "[pg][uploads]") {
    files_db f;
    auto photo = f.upload(f.alice, f.general, "photo.png", true);
    auto report = f.upload(f.alice, f.general, "report.pdf");
    auto bobs = f.upload(f.bob, f.general, "bob.pdf");
    auto elsewhere = f.upload(f.alice, f.random, "other.pdf");

    auto pending = f.run(db::count_pending_uploads(*f.pool, f.alice.user, f.general, {report, photo}));
    REQUIRE(ok(pending));
    CHECK(*pending == 2);
    auto mixed =
        f.run(db::count_pending_uploads(*f.pool, f.alice.user, f.general, {report, bobs, elsewhere}));
    REQUIRE(ok(mixed));
    CHECK(*mixed == 1);
    auto used = f.run(db::uploaded_bytes(*f.pool, f.alice.user));
    REQUIRE(ok(used));
    CHECK(*used == 3000);

    // Even if a route let them through, Bob's upload and one of another channel stay where they are.
    auto posted = f.post(f.alice, f.general, {report, photo, bobs, elsewhere});
    auto shown = f.run(db::find_message(*f.pool, f.general, posted.id));
    REQUIRE(ok(shown));
    REQUIRE(*shown);
    const auto& files = (*shown)->attachments;
    REQUIRE(files.size() == 2);
    CHECK(files[0].id == report);
    CHECK(files[0].name == "report.pdf");
    CHECK(files[0].content_type == "application/pdf");
    CHECK(files[0].size == 1000);
    CHECK_FALSE(files[0].inline_image);
    CHECK(files[1].id == photo);
    CHECK(files[1].inline_image);
    CHECK(files[1].has_thumbnail);
    CHECK(files[1].width == 80);
    CHECK(files[1].height == 60);
    auto page = f.run(db::recent_messages(*f.pool, f.general, std::nullopt, 10));
    REQUIRE(ok(page));
    REQUIRE(page->messages.size() == 1);
    CHECK(page->messages[0].attachments.size() == 2);

    auto bob_still = f.run(db::find_upload(*f.pool, f.general, bobs));
    REQUIRE(ok(bob_still));
    REQUIRE(*bob_still);
    CHECK_FALSE((*bob_still)->message_id);
    // Posted files are no longer pending: they cannot be given up, or attached again.
    auto again = f.run(db::count_pending_uploads(*f.pool, f.alice.user, f.general, {report}));
    REQUIRE(ok(again));
    CHECK(*again == 0);
    auto give_up = f.run(db::delete_pending_upload(*f.pool, f.alice.user, f.general, report));
    REQUIRE(ok(give_up));
    CHECK_FALSE(*give_up);
}

TEST_CASE("deleting a message deletes its files and queues their blobs, thumbnails included",
          "[pg][uploads]") {
    files_db f;
    auto photo = f.upload(f.alice, f.general, "photo.png", true);
    auto posted = f.post(f.alice, f.general, {photo});
    auto row = f.run(db::find_upload(*f.pool, f.general, photo));
    REQUIRE(ok(row));
    REQUIRE(*row);
    const auto blob = (*row)->blob_id;
    const auto thumb = *(*row)->thumbnail_blob_id;

    auto none = f.run(db::unreferenced_garbage(*f.pool, 10));
    REQUIRE(ok(none));
    CHECK(none->empty());

    auto deleted = f.run(db::delete_message(*f.pool, f.general, posted.id));
    REQUIRE(ok(deleted));
    CHECK(*deleted);
    auto gone = f.run(db::find_upload(*f.pool, f.general, photo));
    REQUIRE(ok(gone));
    CHECK_FALSE(*gone);
    auto shown = f.run(db::find_message(*f.pool, f.general, posted.id));
    REQUIRE(ok(shown));
    CHECK((*shown)->attachments.empty());

    auto queued = f.run(db::unreferenced_garbage(*f.pool, 10));
    REQUIRE(ok(queued));
    std::sort(queued->begin(), queued->end());
    std::vector<std::string> expected{blob, thumb};
    std::sort(expected.begin(), expected.end());
    CHECK(*queued == expected);
    REQUIRE(ok(f.run(db::forget_garbage(*f.pool, blob))));
    REQUIRE(ok(f.run(db::forget_garbage(*f.pool, thumb))));
    auto empty = f.run(db::unreferenced_garbage(*f.pool, 10));
    REQUIRE(ok(empty));
    CHECK(empty->empty());
}

TEST_CASE("a pending upload is its uploader's to give up, and one never posted goes after a day",
          "[pg][uploads]") {
    files_db f;
    auto mine = f.upload(f.alice, f.general, "a.pdf");
    auto old = f.upload(f.alice, f.general, "old.pdf");
    auto bobs = f.run(db::delete_pending_upload(*f.pool, f.bob.user, f.general, mine));
    REQUIRE(ok(bobs));
    CHECK_FALSE(*bobs);
    auto given_up = f.run(db::delete_pending_upload(*f.pool, f.alice.user, f.general, mine));
    REQUIRE(ok(given_up));
    CHECK(*given_up);

    f.value("UPDATE uploads SET created_at = now() - interval '25 hours' WHERE id = '" + old +
            "' RETURNING id");
    auto stale = f.run(db::delete_stale_uploads(*f.pool, std::chrono::hours(24)));
    REQUIRE(ok(stale));
    CHECK(*stale == 1);
    // Channel deletion cascades to its uploads, and their blobs are queued too.
    auto kept = f.upload(f.bob, f.random, "keep.pdf");
    f.value("DELETE FROM channels WHERE id = '" + f.random + "' RETURNING id");
    auto queued = f.run(db::unreferenced_garbage(*f.pool, 10));
    REQUIRE(ok(queued));
    CHECK(queued->size() == 3); // a.pdf, old.pdf, keep.pdf
    (void)kept;
}
