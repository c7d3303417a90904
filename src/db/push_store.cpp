#include "db/push_store.hpp"

#include "db/params.hpp"
#include "db/pool.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <map>

namespace eelchat::db {

namespace asio = boost::asio;

namespace {

// A PostgreSQL array literal of ids ({a,b,c}); ids are uuids or numbers, so nothing needs quoting.
template <class Range> std::string array_literal(const Range& ids) {
    std::string out = "{";
    for (const auto& id : ids) {
        if (out.size() > 1) out += ',';
        if constexpr (std::is_arithmetic_v<std::decay_t<decltype(id)>>)
            out += std::to_string(id);
        else
            out += id;
    }
    out += '}';
    return out;
}

std::int64_t seconds(std::chrono::seconds s) {
    return static_cast<std::int64_t>(s.count());
}

// The shown name of the author of message m (joined as am/au), as pages show it.
constexpr std::string_view author_name_sql = "coalesce(au.display_name, 'User ' || left(am.id::text, 4))";

} // namespace

asio::awaitable<result<stored_vapid_keys>> installation_vapid_keys(pool& db, stored_vapid_keys fresh) {
    auto r = co_await db.query("WITH put AS (INSERT INTO push_keys (private_key, public_key) VALUES ($1, $2)"
                               "   ON CONFLICT (id) DO NOTHING RETURNING private_key, public_key)"
                               " SELECT private_key, public_key FROM put"
                               " UNION ALL SELECT private_key, public_key FROM push_keys"
                               " WHERE NOT EXISTS (SELECT 1 FROM put)",
                               params(std::move(fresh.private_key), std::move(fresh.public_key)));
    if (!r) co_return r.error();
    if (r->rows() != 1) co_return make_error_code(errc::protocol_error);
    co_return stored_vapid_keys{std::string(r->get(0, 0)), std::string(r->get(0, 1))};
}

asio::awaitable<result<std::optional<std::string>>> vapid_public_key(pool& db) {
    auto r = co_await db.query("SELECT public_key FROM push_keys");
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<std::string>();
    co_return std::optional<std::string>(std::string(r->get(0, 0)));
}

asio::awaitable<result<void>> save_push_subscription(pool& db, std::string user_id, push_subscription_row sub,
                                                     int max_per_user) {
    auto r = co_await db.query(
        "WITH put AS (INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, "
        "$4)"
        "   ON CONFLICT (endpoint) DO UPDATE SET user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh,"
        "   auth = EXCLUDED.auth, created_at = now() RETURNING id)"
        " DELETE FROM push_subscriptions WHERE user_id = $1 AND id NOT IN (SELECT id FROM put) AND id NOT IN "
        "("
        "   SELECT id FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at DESC LIMIT $5 - 1)",
        params(std::move(user_id), std::move(sub.endpoint), std::move(sub.p256dh), std::move(sub.auth),
               max_per_user));
    if (!r) co_return r.error();
    co_return result<void>{};
}

asio::awaitable<result<bool>> delete_push_subscription(pool& db, std::string user_id, std::string endpoint) {
    auto r =
        co_await db.query("DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2 RETURNING 1",
                          params(std::move(user_id), std::move(endpoint)));
    if (!r) co_return failure<bool>(r.error());
    co_return r->rows() > 0;
}

asio::awaitable<result<void>> forget_push_subscription(pool& db, std::string subscription_id) {
    auto r =
        co_await db.query("DELETE FROM push_subscriptions WHERE id = $1", params(std::move(subscription_id)));
    if (!r) co_return r.error();
    co_return result<void>{};
}

asio::awaitable<result<int>> count_push_subscriptions(pool& db, std::string user_id) {
    auto r = co_await db.query("SELECT count(*) FROM push_subscriptions WHERE user_id = $1",
                               params(std::move(user_id)));
    if (!r) co_return failure<int>(r.error());
    co_return static_cast<int>(to_int(r->get(0, 0)).value_or(0));
}

asio::awaitable<result<std::vector<claimed_notification>>>
claim_push_notifications(pool& db, int limit, std::chrono::seconds lease) {
    std::string sql =
        "WITH due AS (SELECT id FROM notifications WHERE NOT push_done AND next_attempt_at <= now()"
        "   AND (claimed_until IS NULL OR claimed_until < now())"
        "   ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED),"
        " claimed AS (UPDATE notifications n SET claimed_until = now() + make_interval(secs => $2),"
        "   attempts = n.attempts + 1 FROM due WHERE n.id = due.id"
        "   RETURNING n.id, n.user_id, n.attempts, n.message_id, n.pending)"
        " SELECT c.id, c.user_id, c.attempts, m.id, m.channel_id, ch.community_id, ch.kind, ch.title, "
        "co.title, ";
    sql += author_name_sql;
    sql += ", m.text,"
           " EXISTS (SELECT 1 FROM presence p JOIN instances i ON i.id = p.instance_id"
           "   WHERE p.user_id = c.user_id AND p.visible > 0 AND i.seen_at > now() - interval '60 seconds'),"
           " EXISTS (SELECT 1 FROM memberships me WHERE me.user_id = c.user_id AND me.community_id = "
           "ch.community_id"
           "   AND (ch.kind = 'public' OR EXISTS (SELECT 1 FROM channel_members cm"
           "     WHERE cm.channel_id = ch.id AND cm.membership_id = me.id))),"
           " m.deleted_at IS NOT NULL,"
           " coalesce((SELECT json_agg(json_build_array(s.id, s.endpoint, s.p256dh, s.auth) ORDER BY "
           "s.created_at)"
           "   FROM push_subscriptions s WHERE s.user_id = c.user_id"
           "   AND (c.pending IS NULL OR s.id = ANY (c.pending))), '[]')"
           " FROM claimed c JOIN messages m ON m.id = c.message_id JOIN channels ch ON ch.id = m.channel_id"
           " JOIN communities co ON co.id = ch.community_id"
           " LEFT JOIN memberships am ON am.id = m.membership_id LEFT JOIN users au ON au.id = am.user_id"
           " ORDER BY c.id";
    auto r = co_await db.query(sql, params(limit, seconds(lease)));
    if (!r) co_return r.error();
    std::vector<claimed_notification> out;
    out.reserve(static_cast<std::size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i) {
        claimed_notification n;
        n.id = to_int(r->get(i, 0)).value_or(0);
        n.user_id = std::string(r->get(i, 1));
        n.attempts = static_cast<int>(to_int(r->get(i, 2)).value_or(1));
        n.message_id = std::string(r->get(i, 3));
        n.channel_id = std::string(r->get(i, 4));
        n.community_id = std::string(r->get(i, 5));
        n.channel_kind = std::string(r->get(i, 6));
        n.channel_title = std::string(r->get(i, 7));
        n.community_title = std::string(r->get(i, 8));
        n.author_name = std::string(r->get(i, 9));
        n.text = std::string(r->get(i, 10));
        n.visible = r->get(i, 11) == "t";
        n.readable = r->get(i, 12) == "t";
        n.deleted = r->get(i, 13) == "t";
        boost::system::error_code ec;
        auto subs = boost::json::parse(r->get(i, 14), ec);
        if (!ec && subs.is_array())
            for (const auto& s : subs.as_array()) {
                const auto* a = s.if_array();
                if (!a || a->size() != 4) continue;
                push_subscription_row row;
                row.id = std::string((*a)[0].as_string());
                row.endpoint = std::string((*a)[1].as_string());
                row.p256dh = std::string((*a)[2].as_string());
                row.auth = std::string((*a)[3].as_string());
                n.subscriptions.push_back(std::move(row));
            }
        out.push_back(std::move(n));
    }
    co_return out;
}

asio::awaitable<result<void>> finish_push(pool& db, std::int64_t id, std::vector<std::string> pending,
                                          std::chrono::seconds retry_in, bool email) {
    if (pending.empty() && !email) {
        auto r = co_await db.query("DELETE FROM notifications WHERE id = $1", params(id));
        if (!r) co_return r.error();
        co_return result<void>{};
    }
    auto r =
        co_await db.query("UPDATE notifications SET claimed_until = NULL, email_done = NOT $4,"
                          " push_done = cardinality($2::uuid[]) = 0,"
                          " pending = CASE WHEN cardinality($2::uuid[]) = 0 THEN NULL ELSE $2::uuid[] END,"
                          " next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
                          params(id, array_literal(pending), seconds(retry_in), email));
    if (!r) co_return r.error();
    co_return result<void>{};
}

asio::awaitable<result<std::optional<std::chrono::seconds>>> next_push_due_in(pool& db) {
    auto r = co_await db.query(
        "SELECT ceil(extract(epoch FROM min(greatest(next_attempt_at, claimed_until)) - now()))"
        " FROM notifications WHERE NOT push_done");
    if (!r) co_return r.error();
    auto v = to_int(r->get(0, 0));
    if (r->is_null(0, 0) || !v) co_return std::optional<std::chrono::seconds>();
    co_return std::optional<std::chrono::seconds>(std::chrono::seconds(std::max<std::int64_t>(0, *v)));
}

asio::awaitable<result<std::vector<claimed_email>>> claim_due_emails(pool& db, std::chrono::seconds after,
                                                                     int max_users, int max_items,
                                                                     std::chrono::seconds lease) {
    std::string sql =
        "WITH users_due AS (SELECT DISTINCT user_id FROM notifications WHERE push_done AND NOT email_done"
        "   AND created_at <= now() - make_interval(secs => $1)"
        "   AND (claimed_until IS NULL OR claimed_until < now()) LIMIT $2),"
        " due AS (SELECT n.id FROM notifications n JOIN users_due d ON d.user_id = n.user_id"
        "   WHERE n.push_done AND NOT n.email_done AND n.created_at <= now() - make_interval(secs => $1)"
        "   AND (n.claimed_until IS NULL OR n.claimed_until < now()) FOR UPDATE OF n SKIP LOCKED),"
        " claimed AS (UPDATE notifications n SET claimed_until = now() + make_interval(secs => $3)"
        "   FROM due WHERE n.id = due.id RETURNING n.id, n.user_id, n.message_id)"
        " SELECT c.id, c.user_id, u.email, ch.title, ch.kind, ch.community_id, ch.id, m.id, ";
    sql += author_name_sql;
    sql += ", m.text,"
           " m.deleted_at IS NULL AND EXISTS (SELECT 1 FROM memberships me WHERE me.user_id = c.user_id"
           "   AND me.community_id = ch.community_id"
           "   AND (ch.kind = 'public' OR EXISTS (SELECT 1 FROM channel_members cm"
           "     WHERE cm.channel_id = ch.id AND cm.membership_id = me.id))"
           "   AND m.seq > coalesce((SELECT cr.last_read_seq FROM channel_reads cr"
           "     WHERE cr.channel_id = ch.id AND cr.membership_id = me.id), 0))"
           " FROM claimed c JOIN users u ON u.id = c.user_id JOIN messages m ON m.id = c.message_id"
           " JOIN channels ch ON ch.id = m.channel_id"
           " LEFT JOIN memberships am ON am.id = m.membership_id LEFT JOIN users au ON au.id = am.user_id"
           " ORDER BY c.user_id, m.created_at, c.id";
    auto r = co_await db.query(sql, params(seconds(after), max_users, seconds(lease)));
    if (!r) co_return r.error();
    std::vector<claimed_email> out;
    for (int i = 0; i < r->rows(); ++i) {
        if (out.empty() || out.back().user_id != r->get(i, 1)) {
            claimed_email e;
            e.user_id = std::string(r->get(i, 1));
            e.email = std::string(r->get(i, 2));
            out.push_back(std::move(e));
        }
        auto& e = out.back();
        e.ids.push_back(to_int(r->get(i, 0)).value_or(0));
        if (r->get(i, 10) != "t" || e.items.size() >= static_cast<std::size_t>(max_items)) continue;
        email_item item;
        item.channel_title = std::string(r->get(i, 3));
        item.channel_kind = std::string(r->get(i, 4));
        item.community_id = std::string(r->get(i, 5));
        item.channel_id = std::string(r->get(i, 6));
        item.message_id = std::string(r->get(i, 7));
        item.author_name = std::string(r->get(i, 8));
        item.text = std::string(r->get(i, 9));
        e.items.push_back(std::move(item));
    }
    co_return out;
}

asio::awaitable<result<void>> finish_emails(pool& db, std::vector<std::int64_t> ids) {
    if (ids.empty()) co_return result<void>{};
    auto r = co_await db.query("DELETE FROM notifications WHERE id = ANY ($1::bigint[])",
                               params(array_literal(ids)));
    if (!r) co_return r.error();
    co_return result<void>{};
}

asio::awaitable<result<std::int64_t>> prune_notifications(pool& db) {
    auto r = co_await db.query("DELETE FROM notifications WHERE created_at < now() - interval '7 days'");
    if (!r) co_return failure<std::int64_t>(r.error());
    co_return r->affected_rows();
}

asio::awaitable<result<void>> set_notify_level(pool& db, std::string channel_id, std::string membership_id,
                                               std::string level) {
    if (level.empty()) {
        auto r =
            co_await db.query("DELETE FROM channel_notify_prefs WHERE channel_id = $1 AND membership_id = $2",
                              params(std::move(channel_id), std::move(membership_id)));
        if (!r) co_return r.error();
        co_return result<void>{};
    }
    auto r = co_await db.query("INSERT INTO channel_notify_prefs (channel_id, membership_id, level)"
                               " VALUES ($1, $2, $3) ON CONFLICT (channel_id, membership_id)"
                               " DO UPDATE SET level = EXCLUDED.level",
                               params(std::move(channel_id), std::move(membership_id), std::move(level)));
    if (!r) co_return r.error();
    co_return result<void>{};
}

asio::awaitable<result<std::string>> notify_level_of(pool& db, std::string channel_id,
                                                     std::string membership_id) {
    auto r = co_await db.query(
        "SELECT level FROM channel_notify_prefs WHERE channel_id = $1 AND membership_id = $2",
        params(std::move(channel_id), std::move(membership_id)));
    if (!r) co_return r.error();
    co_return r->rows() > 0 ? std::string(r->get(0, 0)) : std::string();
}

} // namespace eelchat::db
