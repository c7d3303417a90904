#include "db/channel_store.hpp"

#include "db/params.hpp"
#include "db/uuid_array.hpp"

#include <algorithm>

namespace eelchat::db {

namespace asio = boost::asio;

asio::awaitable<result<std::vector<channel_row>>> list_channels(pool& db, std::string community_id,
                                                                std::string membership_id) {
    auto args = params(std::move(community_id), std::move(membership_id));
    auto r = co_await db.query(
        "SELECT ch.id, CASE WHEN ch.kind = 'direct' THEN coalesce((SELECT string_agg("
        "     coalesce(u.display_name, 'User ' || left(o.membership_id::text, 4)), ', '"
        "     ORDER BY coalesce(u.display_name, 'User ' || left(o.membership_id::text, 4)))"
        "   FROM channel_members o JOIN memberships om ON om.id = o.membership_id JOIN users u ON u.id = "
        "om.user_id"
        "   WHERE o.channel_id = ch.id AND o.membership_id <> $2), 'Only you') ELSE ch.title END AS shown,"
        " ch.kind, ch.topic,"
        " CASE WHEN ch.kind = 'direct' AND (SELECT count(*) FROM channel_members a WHERE a.channel_id = "
        "ch.id) = 2"
        "   THEN (SELECT om.user_id FROM channel_members o JOIN memberships om ON om.id = o.membership_id"
        "     WHERE o.channel_id = ch.id AND o.membership_id <> $2 LIMIT 1) END"
        " FROM channels ch WHERE ch.community_id = $1 AND (ch.kind = 'public' OR EXISTS ("
        "   SELECT 1 FROM channel_members cm WHERE cm.channel_id = ch.id AND cm.membership_id = $2))"
        " ORDER BY ch.kind = 'direct', shown, ch.id",
        std::move(args));
    if (!r) co_return r.error();
    std::vector<channel_row> out;
    out.reserve(static_cast<std::size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i)
        out.push_back({std::string(r->get(i, 0)), std::string(r->get(i, 1)), std::string(r->get(i, 2)),
                       std::string(r->get(i, 3)), optional_text(*r, i, 4)});
    co_return out;
}

asio::awaitable<result<std::string>> create_channel(pool& db, std::string community_id, std::string title,
                                                    bool is_private, std::string creator_membership_id) {
    auto args = params(std::move(community_id), std::move(title), is_private ? "private" : "public",
                       std::move(creator_membership_id));
    auto r =
        co_await db.query("WITH ch AS (INSERT INTO channels (community_id, title, kind) VALUES ($1, $2, $3)"
                          "   RETURNING id, kind),"
                          " m AS (INSERT INTO channel_members (channel_id, membership_id)"
                          "   SELECT id, $4 FROM ch WHERE kind = 'private')"
                          " SELECT id FROM ch",
                          std::move(args));
    if (!r) co_return r.error();
    co_return std::string(r->get(0, 0));
}

asio::awaitable<result<bool>> delete_channel(pool& db, std::string community_id, std::string channel_id) {
    auto args = params(std::move(community_id), std::move(channel_id));
    auto r = co_await db.query("DELETE FROM channels WHERE id = $2 AND community_id = $1", std::move(args));
    if (!r) co_return failure<bool>(r.error());
    co_return r->affected_rows() == 1;
}

asio::awaitable<result<bool>> rename_channel(pool& db, std::string community_id, std::string channel_id,
                                             std::string title, std::string topic) {
    auto args = params(std::move(community_id), std::move(channel_id), std::move(title), std::move(topic));
    auto r = co_await db.query(
        "WITH target AS (SELECT id, kind FROM channels WHERE id = $2 AND community_id = $1 AND kind <> "
        "'direct'),"
        " locked AS MATERIALIZED (SELECT ch.id FROM channels ch, target WHERE ch.community_id = $1"
        "   AND (ch.id = target.id OR target.kind = 'public') ORDER BY ch.id FOR UPDATE OF ch),"
        // One UPDATE per row: PostgreSQL applies only one of two updates of a row in one statement.
        " bump AS (UPDATE channels ch SET last_seq = ch.last_seq + 1,"
        "   title = CASE WHEN ch.id = $2 THEN $3 ELSE ch.title END,"
        "   topic = CASE WHEN ch.id = $2 THEN $4 ELSE ch.topic END"
        "   FROM locked WHERE ch.id = locked.id RETURNING ch.id, ch.last_seq),"
        " ev AS (INSERT INTO channel_events (channel_id, seq, kind, subject_id)"
        "   SELECT id, last_seq, 'renamed', $2 FROM bump)"
        " SELECT count(*) FROM target",
        std::move(args));
    if (!r) co_return failure<bool>(r.error());
    co_return r->get(0, 0) != "0";
}

asio::awaitable<result<std::vector<std::string>>> channel_member_ids(pool& db, std::string channel_id) {
    auto args = params(std::move(channel_id));
    auto r =
        co_await db.query("SELECT membership_id FROM channel_members WHERE channel_id = $1", std::move(args));
    if (!r) co_return r.error();
    std::vector<std::string> out;
    for (int i = 0; i < r->rows(); ++i)
        out.emplace_back(r->get(i, 0));
    co_return out;
}

asio::awaitable<result<void>> set_channel_members(pool& db, std::string community_id, std::string channel_id,
                                                  std::vector<std::string> membership_ids) {
    auto args = params(std::move(community_id), std::move(channel_id), uuid_array(membership_ids));
    auto r = co_await db.query(
        "WITH wanted AS (SELECT m.id FROM memberships m WHERE m.community_id = $1 AND m.id = "
        "ANY($3::uuid[])),"
        " ch AS (SELECT id FROM channels WHERE id = $2 AND community_id = $1 AND kind = 'private'),"
        " gone AS (DELETE FROM channel_members cm USING ch WHERE cm.channel_id = ch.id"
        "   AND cm.membership_id NOT IN (SELECT id FROM wanted)),"
        " added AS (INSERT INTO channel_members (channel_id, membership_id) SELECT ch.id, wanted.id FROM ch, "
        "wanted"
        "   ON CONFLICT DO NOTHING)"
        " SELECT 1",
        std::move(args));
    if (!r) co_return r.error();
    co_return result<void>();
}

asio::awaitable<result<std::optional<std::string>>> open_direct(pool& db, std::string community_id,
                                                                std::vector<std::string> membership_ids) {
    std::sort(membership_ids.begin(), membership_ids.end());
    membership_ids.erase(std::unique(membership_ids.begin(), membership_ids.end()), membership_ids.end());
    std::string key;
    for (const auto& id : membership_ids) {
        if (!key.empty()) key += ',';
        key += id;
    }
    const auto count = static_cast<int>(membership_ids.size());
    // Everyone must be a member; then the existing conversation, or a new one with its members. Two people
    // starting the same conversation at once meet at the unique key (ON CONFLICT), then both read it.
    auto args = params(community_id, uuid_array(membership_ids), key, count);
    auto r = co_await db.query(
        "WITH ok AS (SELECT count(*) = $4 AS yes FROM memberships WHERE community_id = $1 AND id = "
        "ANY($2::uuid[])),"
        " ins AS (INSERT INTO channels (community_id, title, kind, direct_key)"
        "   SELECT $1, 'Direct message', 'direct', $3 FROM ok WHERE ok.yes"
        "   ON CONFLICT (community_id, direct_key) WHERE direct_key IS NOT NULL DO NOTHING RETURNING id),"
        " mem AS (INSERT INTO channel_members (channel_id, membership_id) SELECT ins.id, unnest($2::uuid[]) "
        "FROM ins)"
        " SELECT (SELECT yes FROM ok), (SELECT id FROM ins)",
        std::move(args));
    if (!r) co_return r.error();
    if (r->rows() == 0 || r->get(0, 0) != "t") co_return std::optional<std::string>();
    if (auto id = optional_text(*r, 0, 1)) co_return std::optional<std::string>(std::move(*id));
    auto existing_args = params(std::move(community_id), std::move(key));
    auto existing = co_await db.query("SELECT id FROM channels WHERE community_id = $1 AND direct_key = $2",
                                      std::move(existing_args));
    if (!existing) co_return existing.error();
    if (existing->rows() == 0) co_return make_error_code(errc::protocol_error);
    co_return std::optional<std::string>(std::string(existing->get(0, 0)));
}

} // namespace eelchat::db
