#include "db/chat_store.hpp"

#include "db/params.hpp"

namespace eelchat::db {

namespace asio = boost::asio;

namespace {

membership_row membership_at(const pg_result& r, int row) {
    return membership_row{std::string(r.get(row, 0)), std::string(r.get(row, 1)), std::string(r.get(row, 2)),
                          r.get(row, 3) == "t"};
}

} // namespace

asio::awaitable<result<std::vector<membership_row>>> list_memberships(pool& db, std::string user_id) {
    auto args = params(std::move(user_id));
    auto r = co_await db.query("SELECT m.id, c.id, c.title, 'admin' = ANY(m.roles)"
                               " FROM memberships m JOIN communities c ON c.id = m.community_id"
                               " WHERE m.user_id = $1 ORDER BY m.joined_at, m.id",
                               std::move(args));
    if (!r) co_return r.error();
    std::vector<membership_row> out;
    out.reserve(static_cast<std::size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i)
        out.push_back(membership_at(*r, i));
    co_return out;
}

asio::awaitable<result<std::optional<community_access_row>>>
find_community_access(pool& db, std::string user_id, std::string community_id,
                      std::optional<std::string> channel_id) {
    auto args = params(std::move(community_id), std::move(user_id), std::move(channel_id));
    auto r = co_await db.query(
        "SELECT c.id, c.title, m.id, 'admin' = ANY(m.roles), ch.id, ch.title, ch.kind, ch.topic,"
        " EXISTS (SELECT 1 FROM channel_members cm WHERE cm.channel_id = ch.id AND cm.membership_id = m.id),"
        " EXISTS (SELECT 1 FROM community_bans b WHERE b.community_id = c.id AND b.user_id = $2),"
        " c.everyone_may_mention_channel"
        " FROM communities c"
        " LEFT JOIN memberships m ON m.community_id = c.id AND m.user_id = $2"
        " LEFT JOIN channels ch ON ch.community_id = c.id AND ch.id = $3"
        " WHERE c.id = $1",
        std::move(args));
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<community_access_row>();
    community_access_row a;
    a.community = community_row{std::string(r->get(0, 0)), std::string(r->get(0, 1)), r->get(0, 10) == "t"};
    if (auto m = optional_text(*r, 0, 2))
        a.membership = membership_row{std::move(*m), a.community.id, a.community.title, r->get(0, 3) == "t"};
    if (auto ch = optional_text(*r, 0, 4))
        a.channel = channel_row{std::move(*ch), std::string(r->get(0, 5)), std::string(r->get(0, 6)),
                                std::string(r->get(0, 7))};
    a.channel_member = r->get(0, 8) == "t";
    a.banned = r->get(0, 9) == "t";
    co_return std::optional<community_access_row>(std::move(a));
}

asio::awaitable<result<std::string>> create_community(pool& db, std::string user_id, std::string title) {
    auto args = params(std::move(user_id), std::move(title));
    auto r = co_await db.query("WITH c AS (INSERT INTO communities (title) VALUES ($2) RETURNING id),"
                               " m AS (INSERT INTO memberships (user_id, community_id, roles)"
                               "       SELECT $1, id, ARRAY['admin'] FROM c)"
                               " SELECT id FROM c",
                               std::move(args));
    if (!r) co_return r.error();
    co_return std::string(r->get(0, 0));
}

asio::awaitable<result<bool>> join_community(pool& db, std::string user_id, std::string community_id) {
    auto args = params(std::move(user_id), std::move(community_id));
    auto r =
        co_await db.query("WITH ok AS (SELECT NOT EXISTS (SELECT 1 FROM community_bans"
                          "   WHERE community_id = $2 AND user_id = $1) AS yes),"
                          " ins AS (INSERT INTO memberships (user_id, community_id) SELECT $1, $2 FROM ok"
                          "   WHERE ok.yes ON CONFLICT (user_id, community_id) DO NOTHING)"
                          " SELECT yes FROM ok",
                          std::move(args));
    if (!r) co_return failure<bool>(r.error());
    co_return r->rows() > 0 && r->get(0, 0) == "t";
}

asio::awaitable<result<void>> set_everyone_may_mention_channel(pool& db, std::string community_id,
                                                               bool allowed) {
    auto r = co_await db.query("UPDATE communities SET everyone_may_mention_channel = $2 WHERE id = $1",
                               params(std::move(community_id), allowed));
    if (!r) co_return r.error();
    co_return result<void>{};
}

asio::awaitable<result<void>> rename_community(pool& db, std::string community_id, std::string title) {
    // Channels are bumped in id order (as the message batcher locks them), then each gets its event.
    auto args = params(std::move(community_id), std::move(title));
    auto r = co_await db.query(
        "WITH upd AS (UPDATE communities SET title = $2 WHERE id = $1 RETURNING id),"
        " locked AS MATERIALIZED (SELECT ch.id FROM channels ch, upd WHERE ch.community_id = upd.id"
        "   ORDER BY ch.id FOR UPDATE OF ch),"
        " bump AS (UPDATE channels ch SET last_seq = ch.last_seq + 1 FROM locked WHERE ch.id = locked.id"
        "   RETURNING ch.id, ch.last_seq)"
        " INSERT INTO channel_events (channel_id, seq, kind, subject_id)"
        " SELECT id, last_seq, 'renamed', $1 FROM bump",
        std::move(args));
    if (!r) co_return r.error();
    co_return result<void>();
}

asio::awaitable<result<std::vector<member_row>>> community_members(pool& db, std::string community_id) {
    auto args = params(std::move(community_id));
    auto r =
        co_await db.query("SELECT m.id, m.user_id, u.display_name, 'admin' = ANY(m.roles)"
                          " FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.community_id = $1"
                          " ORDER BY coalesce(u.display_name, 'User ' || left(m.id::text, 4)), m.id",
                          std::move(args));
    if (!r) co_return r.error();
    std::vector<member_row> out;
    out.reserve(static_cast<std::size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i)
        out.push_back(member_row{std::string(r->get(i, 0)), std::string(r->get(i, 1)),
                                 optional_text(*r, i, 2), r->get(i, 3) == "t"});
    co_return out;
}

asio::awaitable<result<bool>> remove_member(pool& db, std::string community_id, std::string membership_id) {
    auto args = params(std::move(community_id), std::move(membership_id));
    auto r = co_await db.query("WITH gone AS (DELETE FROM memberships WHERE id = $2 AND community_id = $1"
                               "   RETURNING user_id),"
                               " ban AS (INSERT INTO community_bans (community_id, user_id)"
                               "   SELECT $1, user_id FROM gone ON CONFLICT DO NOTHING)"
                               " SELECT count(*) FROM gone",
                               std::move(args));
    if (!r) co_return failure<bool>(r.error());
    co_return r->get(0, 0) != "0";
}

asio::awaitable<result<bool>> make_admin(pool& db, std::string community_id, std::string membership_id) {
    auto args = params(std::move(community_id), std::move(membership_id));
    auto r = co_await db.query(
        "UPDATE memberships SET roles = ARRAY['admin'] WHERE id = $2 AND community_id = $1", std::move(args));
    if (!r) co_return failure<bool>(r.error());
    co_return r->affected_rows() == 1;
}

} // namespace eelchat::db
