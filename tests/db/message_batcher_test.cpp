// Group commit of posted messages: many posts at once are stored together, each exactly once, numbered
// per channel in the order they were posted, and each poster gets its own answer (stored, duplicate of an
// earlier send, or channel gone).
#include "db/message_batcher.hpp"
#include "db/support.hpp"
#include "support/app_server.hpp"

#include <boost/asio/co_spawn.hpp>

#include <catch2/catch.hpp>

using namespace eelchat;
namespace asio = boost::asio;

namespace {

std::string make_uuid(int n) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012d", n);
    return buf;
}

} // namespace

TEST_CASE("concurrent posts are stored once each, in posting order per channel, with their own answers",
          "[pg][messages]") {
    test::scratch_db sdb;
    test::apply_all_migrations(sdb.url());
    test::sql_exec(sdb.url(), "INSERT INTO users (id, email) VALUES ('" + make_uuid(1) +
                                  "', 'a@example.com');"
                                  "INSERT INTO communities (id, title) VALUES ('" +
                                  make_uuid(2) +
                                  "', 'C');"
                                  "INSERT INTO memberships (id, user_id, community_id) VALUES ('" +
                                  make_uuid(3) + "', '" + make_uuid(1) + "', '" + make_uuid(2) +
                                  "');"
                                  "INSERT INTO channels (id, community_id, title) VALUES ('" +
                                  make_uuid(10) + "', '" + make_uuid(2) + "', 'one'), ('" + make_uuid(11) +
                                  "', '" + make_uuid(2) + "', 'two');");
    const auto membership = make_uuid(3);
    const std::string channels[] = {make_uuid(10), make_uuid(11)};
    const auto gone_channel = make_uuid(12);

    asio::io_context ctx;
    db::pool_config pc;
    pc.conninfo = sdb.url();
    pc.max_size = 3;
    db::pool pool(ctx.get_executor(), pc, logger::null());
    db::message_batcher_options bo;
    bo.max_batch = 16;
    bo.max_writers = 1; // one statement at a time: the order of posts is the order of numbers
    db::message_batcher batcher(pool, logger::null(), bo);

    constexpr int posts = 150;
    std::vector<std::optional<db::result<db::posted_message>>> answers(posts + 3);
    int finished = 0;
    auto post = [&](int slot, std::string channel, std::string client) {
        asio::co_spawn(
            ctx,
            batcher.post(db::new_message{std::move(channel), membership, "message " + std::to_string(slot),
                                         std::nullopt, std::nullopt, std::move(client)}),
            [&, slot](std::exception_ptr e, db::result<db::posted_message> r) {
                REQUIRE_FALSE(e);
                answers[static_cast<std::size_t>(slot)] = std::move(r);
                ++finished;
            });
    };
    for (int i = 0; i < posts; ++i)
        post(i, channels[i % 2], make_uuid(1000 + i));
    post(posts, channels[0], make_uuid(1000));      // a retry of message 0, in the same burst
    post(posts + 1, gone_channel, make_uuid(5000)); // a channel that does not exist
    post(posts + 2, channels[1], make_uuid(5001));
    test::run_async(
        ctx,
        [&]() -> asio::awaitable<void> {
            while (finished < posts + 3)
                co_await test::sleep_for(std::chrono::milliseconds(5));
        }(),
        std::chrono::seconds(30), test::leftovers::allow);

    for (int i = 0; i < posts; ++i) {
        CAPTURE(i);
        REQUIRE(answers[i]->has_value());
        CHECK_FALSE((*answers[i])->duplicate);
    }
    REQUIRE(answers[posts]->has_value());
    CHECK((*answers[posts])->duplicate);
    CHECK((*answers[posts])->id == (*answers[0])->id);
    REQUIRE_FALSE(answers[posts + 1]->has_value());
    CHECK(answers[posts + 1]->error() == db::sqlstate::foreign_key_violation);
    REQUIRE(answers[posts + 2]->has_value());

    // Each channel: numbers 1..n without gaps, in the order the posts were made.
    const auto order = [&](const std::string& channel) {
        return test::sql_value(sdb.url(),
                               "SELECT string_agg(seq || '=' || split_part(text, ' ', 2), ',' ORDER BY seq)"
                               " FROM messages WHERE channel_id = '" +
                                   channel + "'");
    };
    std::string want0, want1;
    for (int i = 0, s0 = 0, s1 = 0; i < posts; ++i) {
        auto& want = i % 2 ? want1 : want0;
        want += (want.empty() ? "" : ",") + std::to_string(i % 2 ? ++s1 : ++s0) + "=" + std::to_string(i);
    }
    want1 += "," + std::to_string(posts / 2 + 1) + "=" + std::to_string(posts + 2);
    CHECK(order(channels[0]) == want0);
    CHECK(order(channels[1]) == want1);
    CHECK(test::sql_value(sdb.url(), "SELECT string_agg(last_seq::text, ',' ORDER BY title) FROM channels") ==
          std::to_string(posts / 2) + "," + std::to_string(posts / 2 + 1));
    pool.close();
}
