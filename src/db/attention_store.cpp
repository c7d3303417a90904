#include "db/attention_store.hpp"

#include "db/params.hpp"

namespace eelchat::db {

namespace asio = boost::asio;

namespace {

// The unread messages of channel `ch` for membership $2 after marker `r` (a channel_reads row, or NULL):
// messages by others, not deleted, not replies unless they mention the member, at most
// max_unread_counted. Without a marker only messages posted since the member joined (the community or,
// for a private channel, the channel) count, among the channel's newest 1000 numbers, so that a newcomer
// is not shown years of history as new and the count never scans a long history.
std::string counts_lateral(std::string_view marker) {
    std::string sql = " CROSS JOIN LATERAL (SELECT count(*) AS n,"
                      "   count(*) FILTER (WHERE x.mention_channel OR $2::uuid = ANY (x.mentions)) AS m"
                      " FROM (SELECT x.mention_channel, x.mentions FROM messages x"
                      "   WHERE x.channel_id = ch.id AND x.seq > coalesce(";
    sql.append(marker);
    sql.append(", greatest(ch.last_seq - 1000, 0))"
               "   AND (");
    sql.append(marker);
    sql.append(" IS NOT NULL OR x.created_at > greatest(me.joined_at, cm.added_at))"
               "   AND x.deleted_at IS NULL AND x.membership_id IS DISTINCT FROM $2::uuid"
               "   AND (x.parent_id IS NULL OR $2::uuid = ANY (x.mentions))"
               "   ORDER BY x.seq LIMIT 1000) x) u");
    return sql;
}

int to_count(std::string_view s) {
    return static_cast<int>(to_int(s).value_or(0));
}

} // namespace

asio::awaitable<result<std::vector<unread_row>>> unread_counts(pool& db, std::string community_id,
                                                               std::string membership_id) {
    static const std::string sql =
        "SELECT ch.id, ch.last_seq, coalesce(r.last_read_seq, 0), u.n, u.m"
        " FROM channels ch JOIN memberships me ON me.id = $2::uuid AND me.community_id = ch.community_id"
        " LEFT JOIN channel_members cm ON cm.channel_id = ch.id AND cm.membership_id = $2::uuid"
        " LEFT JOIN channel_reads r ON r.channel_id = ch.id AND r.membership_id = $2::uuid" +
        counts_lateral("r.last_read_seq") +
        " WHERE ch.community_id = $1::uuid AND (ch.kind = 'public' OR cm.membership_id IS NOT NULL)";
    auto r = co_await db.query(sql, params(std::move(community_id), std::move(membership_id)));
    if (!r) co_return r.error();
    std::vector<unread_row> out;
    out.reserve(static_cast<std::size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i)
        out.push_back({std::string(r->get(i, 0)), to_int(r->get(i, 1)).value_or(0),
                       to_int(r->get(i, 2)).value_or(0), to_count(r->get(i, 3)), to_count(r->get(i, 4))});
    co_return out;
}

asio::awaitable<result<std::optional<read_marker>>> set_read_marker(pool& db, std::string community_id,
                                                                    std::string membership_id,
                                                                    std::string channel_id, std::int64_t seq,
                                                                    bool backwards) {
    // $5: move backwards too. The marker never goes past the channel's newest event or below 0.
    static const std::string sql =
        "WITH target AS (SELECT ch.id, ch.last_seq FROM channels ch"
        "   JOIN memberships me ON me.id = $2::uuid AND me.community_id = ch.community_id"
        "   WHERE ch.id = $3::uuid AND ch.community_id = $1::uuid AND (ch.kind = 'public' OR EXISTS ("
        "     SELECT 1 FROM channel_members cm WHERE cm.channel_id = ch.id AND cm.membership_id = $2::uuid))),"
        " up AS (INSERT INTO channel_reads (channel_id, membership_id, last_read_seq)"
        "   SELECT id, $2::uuid, least(greatest($4::bigint, 0), last_seq) FROM target"
        "   ON CONFLICT (membership_id, channel_id) DO UPDATE SET last_read_seq = EXCLUDED.last_read_seq,"
        "     updated_at = now()"
        "   WHERE channel_reads.last_read_seq < EXCLUDED.last_read_seq"
        "      OR ($5::boolean AND channel_reads.last_read_seq <> EXCLUDED.last_read_seq)"
        "   RETURNING last_read_seq),"
        " mark AS (SELECT coalesce((SELECT last_read_seq FROM up), (SELECT last_read_seq FROM channel_reads"
        "   WHERE membership_id = $2::uuid AND channel_id = $3::uuid)) AS last_read_seq)"
        " SELECT ch.last_seq, coalesce(mark.last_read_seq, 0), EXISTS (SELECT 1 FROM up), u.n, u.m"
        " FROM target ch CROSS JOIN mark JOIN memberships me ON me.id = $2::uuid"
        " LEFT JOIN channel_members cm ON cm.channel_id = ch.id AND cm.membership_id = $2::uuid" +
        counts_lateral("mark.last_read_seq");
    auto r = co_await db.query(sql, params(community_id, membership_id, channel_id, seq, backwards));
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<read_marker>();
    read_marker m;
    m.counts = {channel_id, to_int(r->get(0, 0)).value_or(0), to_int(r->get(0, 1)).value_or(0),
                to_count(r->get(0, 3)), to_count(r->get(0, 4))};
    m.moved = r->get(0, 2) == "t";
    if (m.moved) {
        std::string payload = "r:" + membership_id + ":" + channel_id + ":" + std::to_string(m.counts.read_seq) +
                              ":" + std::to_string(m.counts.last_seq) + ":" + std::to_string(m.counts.unread) +
                              ":" + std::to_string(m.counts.mentions);
        auto n = co_await db.query("SELECT pg_notify('eelchat_events', $1)", params(std::move(payload)));
        if (!n) co_return n.error();
    }
    co_return std::optional<read_marker>(std::move(m));
}

asio::awaitable<result<read_position>> read_marker_of(pool& db, std::string channel_id,
                                                      std::string membership_id) {
    // Without a marker: the newest message from before the member joined (among the newest 1000).
    auto r = co_await db.query(
        "SELECT coalesce(r.last_read_seq, greatest(ch.last_seq - 1000, coalesce((SELECT max(x.seq) FROM ("
        "   SELECT seq, created_at FROM messages WHERE channel_id = ch.id ORDER BY seq DESC LIMIT 1000) x"
        "   WHERE x.created_at <= greatest(me.joined_at, cm.added_at)), 0))), r.last_read_seq IS NOT NULL"
        " FROM channels ch JOIN memberships me ON me.id = $2 AND me.community_id = ch.community_id"
        " LEFT JOIN channel_members cm ON cm.channel_id = ch.id AND cm.membership_id = $2"
        " LEFT JOIN channel_reads r ON r.channel_id = ch.id AND r.membership_id = $2"
        " WHERE ch.id = $1",
        params(std::move(channel_id), std::move(membership_id)));
    if (!r) co_return r.error();
    read_position p;
    if (r->rows() == 0) co_return p;
    p.seq = to_int(r->get(0, 0)).value_or(0);
    p.saved = r->get(0, 1) == "t";
    co_return p;
}

asio::awaitable<result<bool>> may_read_channel(pool& db, std::string community_id, std::string membership_id,
                                               std::string channel_id) {
    auto r = co_await db.query(
        "SELECT 1 FROM channels ch JOIN memberships me ON me.id = $2 AND me.community_id = ch.community_id"
        " WHERE ch.id = $3 AND ch.community_id = $1 AND (ch.kind = 'public' OR EXISTS ("
        "   SELECT 1 FROM channel_members cm WHERE cm.channel_id = ch.id AND cm.membership_id = $2))",
        params(std::move(community_id), std::move(membership_id), std::move(channel_id)));
    if (!r) co_return failure<bool>(r.error());
    co_return r->rows() > 0;
}

asio::awaitable<result<void>> announce_typing(pool& db, std::string channel_id, std::string membership_id,
                                              std::string name) {
    auto r = co_await db.query("SELECT pg_notify('eelchat_events', 't:' || $1 || ':' || $2 || ':' || $3)",
                               params(std::move(channel_id), std::move(membership_id), std::move(name)));
    if (!r) co_return r.error();
    co_return result<void>{};
}

namespace {

// The readers of channel $1 with their shown names (as pages show them).
constexpr std::string_view readers_sql =
    "WITH ch AS (SELECT id, community_id, kind FROM channels WHERE id = $1::uuid),"
    " readers AS (SELECT ms.id, ms.user_id, coalesce(u.display_name, 'User ' || left(ms.id::text, 4)) AS name"
    "   FROM ch JOIN memberships ms ON ms.community_id = ch.community_id JOIN users u ON u.id = ms.user_id"
    "   WHERE ch.kind = 'public' OR EXISTS (SELECT 1 FROM channel_members cm"
    "     WHERE cm.channel_id = ch.id AND cm.membership_id = ms.id))";

// LIKE's wildcards and escape taken literally.
std::string like_literal(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

} // namespace

asio::awaitable<result<std::vector<mention_candidate>>> mention_candidates(pool& db, std::string channel_id,
                                                                           std::string prefix, int limit) {
    static const std::string sql = std::string(readers_sql) +
                                   " SELECT id, user_id, name FROM readers"
                                   " WHERE $2 = '' OR lower(name) LIKE lower($2) || '%'"
                                   "   OR lower(name) LIKE '% ' || lower($2) || '%'"
                                   " ORDER BY lower(name), id LIMIT $3";
    auto r = co_await db.query(sql, params(std::move(channel_id), like_literal(prefix), limit));
    if (!r) co_return r.error();
    std::vector<mention_candidate> out;
    for (int i = 0; i < r->rows(); ++i)
        out.push_back({std::string(r->get(i, 0)), std::string(r->get(i, 1)), std::string(r->get(i, 2))});
    co_return out;
}

asio::awaitable<result<std::vector<std::pair<std::string, std::string>>>>
resolve_mentions(pool& db, std::string channel_id, std::vector<std::string> folded_names) {
    std::vector<std::pair<std::string, std::string>> out;
    if (folded_names.empty()) co_return out;
    // A text[] literal would need quoting; one name per line of a parameter does not.
    std::string names;
    for (auto& n : folded_names) {
        if (n.find('\n') != std::string::npos) continue;
        names += n;
        names += '\n';
    }
    static const std::string sql = std::string(readers_sql) +
                                   ", wanted AS (SELECT DISTINCT w FROM unnest(string_to_array($2, E'\\n')) w"
                                   "   WHERE w <> '')"
                                   " SELECT w, id FROM readers JOIN wanted ON"
                                   "   translate(name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') = w";
    auto r = co_await db.query(sql, params(std::move(channel_id), std::move(names)));
    if (!r) co_return r.error();
    for (int i = 0; i < r->rows(); ++i)
        out.emplace_back(std::string(r->get(i, 0)), std::string(r->get(i, 1)));
    co_return out;
}

asio::awaitable<result<std::optional<channel_audience>>> channel_audience_of(pool& db, std::string channel_id) {
    auto r = co_await db.query(
        "SELECT ch.community_id, ch.kind, coalesce((SELECT string_agg(cm.membership_id::text, ',')"
        "   FROM channel_members cm WHERE cm.channel_id = ch.id AND ch.kind <> 'public'), '')"
        " FROM channels ch WHERE ch.id = $1",
        params(std::move(channel_id)));
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<channel_audience>();
    channel_audience a;
    a.community_id = std::string(r->get(0, 0));
    a.kind = std::string(r->get(0, 1));
    std::string_view list = r->get(0, 2);
    while (!list.empty()) {
        auto comma = list.find(',');
        a.members.emplace_back(list.substr(0, comma));
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    co_return std::optional<channel_audience>(std::move(a));
}

// --- Presence ----------------------------------------------------------------------------------------

asio::awaitable<result<bool>> instance_heartbeat(pool& db, std::string instance_id) {
    auto r = co_await db.query(
        "INSERT INTO instances (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET seen_at = now()"
        " RETURNING xmax = 0",
        params(instance_id));
    if (!r) co_return failure<bool>(r.error());
    const bool created = r->rows() > 0 && r->get(0, 0) == "t";
    auto swept = co_await db.query(
        "WITH dead AS (SELECT id FROM instances WHERE seen_at < now() - interval '60 seconds' AND id <> $1),"
        " gone AS (DELETE FROM presence WHERE instance_id IN (SELECT id FROM dead) RETURNING user_id),"
        " d AS (DELETE FROM instances WHERE id IN (SELECT id FROM dead))"
        " SELECT pg_notify('eelchat_events', 'p:' || user_id) FROM (SELECT DISTINCT user_id FROM gone) g",
        params(std::move(instance_id)));
    if (!swept) co_return failure<bool>(swept.error());
    co_return created;
}

asio::awaitable<result<void>> remove_instance(pool& db, std::string instance_id) {
    auto r = co_await db.query(
        "WITH gone AS (DELETE FROM presence WHERE instance_id = $1 RETURNING user_id),"
        " d AS (DELETE FROM instances WHERE id = $1)"
        " SELECT pg_notify('eelchat_events', 'p:' || user_id) FROM (SELECT DISTINCT user_id FROM gone) g",
        params(std::move(instance_id)));
    if (!r) co_return r.error();
    co_return result<void>{};
}

asio::awaitable<result<void>> write_presence(pool& db, std::string instance_id,
                                             std::vector<presence_count> counts) {
    if (counts.empty()) co_return result<void>{};
    std::string users, tabs, visible;
    for (const auto& c : counts) {
        const char* sep = users.empty() ? "" : ",";
        users += sep + c.user_id;
        tabs += sep + std::to_string(c.tabs);
        visible += sep + std::to_string(c.visible);
    }
    auto r = co_await db.query(
        "WITH input AS (SELECT * FROM unnest(string_to_array($2, ',')::uuid[], string_to_array($3, ',')::int[],"
        "   string_to_array($4, ',')::int[]) AS x(user_id, tabs, visible)),"
        " del AS (DELETE FROM presence p USING input x WHERE p.instance_id = $1 AND p.user_id = x.user_id"
        "   AND x.tabs = 0),"
        " up AS (INSERT INTO presence (instance_id, user_id, tabs, visible)"
        "   SELECT $1, x.user_id, x.tabs, x.visible FROM input x JOIN users u ON u.id = x.user_id WHERE x.tabs > 0"
        "   ON CONFLICT (user_id, instance_id) DO UPDATE SET tabs = EXCLUDED.tabs, visible = EXCLUDED.visible)"
        " SELECT pg_notify('eelchat_events', 'p:' || user_id) FROM input",
        params(std::move(instance_id), std::move(users), std::move(tabs), std::move(visible)));
    if (!r) co_return r.error();
    co_return result<void>{};
}

asio::awaitable<result<user_presence>> presence_of(pool& db, std::string user_id) {
    auto r = co_await db.query(
        "SELECT EXISTS (SELECT 1 FROM presence p JOIN instances i ON i.id = p.instance_id"
        "   WHERE p.user_id = $1 AND p.tabs > 0 AND i.seen_at > now() - interval '60 seconds'),"
        " coalesce((SELECT string_agg(community_id::text, ',') FROM memberships WHERE user_id = $1), '')",
        params(std::move(user_id)));
    if (!r) co_return r.error();
    user_presence p;
    p.online = r->get(0, 0) == "t";
    std::string_view list = r->get(0, 1);
    while (!list.empty()) {
        auto comma = list.find(',');
        p.communities.emplace_back(list.substr(0, comma));
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    co_return p;
}

asio::awaitable<result<std::vector<std::string>>> online_members(pool& db, std::string community_id) {
    auto r = co_await db.query(
        "SELECT DISTINCT p.user_id FROM presence p JOIN instances i ON i.id = p.instance_id"
        " JOIN memberships ms ON ms.user_id = p.user_id AND ms.community_id = $1"
        " WHERE p.tabs > 0 AND i.seen_at > now() - interval '60 seconds'",
        params(std::move(community_id)));
    if (!r) co_return r.error();
    std::vector<std::string> out;
    for (int i = 0; i < r->rows(); ++i)
        out.emplace_back(r->get(i, 0));
    co_return out;
}

} // namespace eelchat::db
