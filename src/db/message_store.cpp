#include "db/message_store.hpp"

#include "db/params.hpp"
#include "db/uuid_array.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace eelchat::db {

namespace asio = boost::asio;

// Reactions come as the message keeps them (db/migrations/0005): grouped by emoji in the order each was
// first used, one JSON array of [emoji, count, [membership ids], [names]].
const std::string_view message_select =
    "m.id, m.seq, m.membership_id, u.display_name, ms.user_id, m.is_system, m.text, m.html,"
    " to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(m.created_at AT TIME ZONE 'UTC', 'FMDD Mon FMHH12:MI AM'),"
    " to_char(m.edited_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(m.edited_at AT TIME ZONE 'UTC', 'FMDD Mon FMHH12:MI AM'),"
    " m.deleted_at IS NOT NULL, m.parent_id, m.reply_count,"
    " CASE WHEN m.deleted_at IS NULL THEN m.reactions END,"
    " CASE WHEN m.mentions IS NOT NULL AND m.deleted_at IS NULL THEN (SELECT json_agg(json_build_array("
    "   mm.id, coalesce(mu.display_name, 'User ' || left(mm.id::text, 4)))) FROM memberships mm"
    "   JOIN users mu ON mu.id = mm.user_id WHERE mm.id = ANY (m.mentions)) END,"
    " m.mention_channel,"
    " CASE WHEN m.attachments > 0 AND m.deleted_at IS NULL THEN (SELECT json_agg(json_build_array("
    "   f.id, f.name, f.content_type, f.size, f.inline_image, f.thumbnail_blob_id IS NOT NULL, f.width,"
    "   f.height) ORDER BY f.position) FROM uploads f WHERE f.message_id = m.id) END";
const std::string_view message_joins =
    " LEFT JOIN memberships ms ON ms.id = m.membership_id LEFT JOIN users u ON u.id = ms.user_id";

namespace {

std::vector<reaction_summary> parse_reactions(std::string_view json) {
    std::vector<reaction_summary> out;
    if (json.empty()) return out;
    boost::system::error_code ec;
    auto v = boost::json::parse(json, ec);
    if (ec || !v.is_array()) return out;
    for (const auto& g : v.as_array()) {
        const auto* a = g.if_array();
        if (!a || a->size() != 4 || !(*a)[0].is_string() || !(*a)[1].is_int64()) continue;
        reaction_summary s;
        s.emoji = std::string((*a)[0].as_string());
        s.count = static_cast<int>((*a)[1].as_int64());
        if (const auto* ms = (*a)[2].if_array())
            for (const auto& m : *ms)
                if (m.is_string()) s.members.emplace_back(m.as_string());
        if (const auto* ns = (*a)[3].if_array())
            for (const auto& n : *ns)
                if (n.is_string()) s.names.emplace_back(n.as_string());
        out.push_back(std::move(s));
    }
    return out;
}

// [[membership id, name], ...]
std::vector<std::pair<std::string, std::string>> parse_mentions(std::string_view json) {
    std::vector<std::pair<std::string, std::string>> out;
    if (json.empty()) return out;
    boost::system::error_code ec;
    auto v = boost::json::parse(json, ec);
    if (ec || !v.is_array()) return out;
    for (const auto& p : v.as_array()) {
        const auto* a = p.if_array();
        if (!a || a->size() != 2 || !(*a)[0].is_string() || !(*a)[1].is_string()) continue;
        out.emplace_back(std::string((*a)[0].as_string()), std::string((*a)[1].as_string()));
    }
    return out;
}

std::vector<message_row> message_rows(const pg_result& r) {
    std::vector<message_row> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i)
        out.push_back(read_message(r, i, 0));
    return out;
}

// SELECT <message columns> FROM messages m <joins> <rest>
std::string message_query(std::string_view rest) {
    std::string sql = "SELECT ";
    sql.append(message_select).append(" FROM messages m").append(message_joins).append(" ").append(rest);
    return sql;
}

result<bool> changed(result<pg_result> r) {
    if (!r) return failure<bool>(r.error());
    return r->rows() > 0 && r->get(0, 0) == "t";
}

// [[id, name, type, size, inline, has thumbnail, width, height], ...] in the message's order.
std::vector<attachment_summary> parse_attachments(std::string_view json) {
    std::vector<attachment_summary> out;
    if (json.empty()) return out;
    boost::system::error_code ec;
    auto v = boost::json::parse(json, ec);
    if (ec || !v.is_array()) return out;
    for (const auto& f : v.as_array()) {
        const auto* a = f.if_array();
        if (!a || a->size() != 8 || !(*a)[0].is_string() || !(*a)[1].is_string() || !(*a)[2].is_string())
            continue;
        attachment_summary s;
        s.id = std::string((*a)[0].as_string());
        s.name = std::string((*a)[1].as_string());
        s.content_type = std::string((*a)[2].as_string());
        if (auto* n = (*a)[3].if_int64()) s.size = *n;
        if (auto* b = (*a)[4].if_bool()) s.inline_image = *b;
        if (auto* b = (*a)[5].if_bool()) s.has_thumbnail = *b;
        if (auto* w = (*a)[6].if_int64()) s.width = static_cast<int>(*w);
        if (auto* h = (*a)[7].if_int64()) s.height = static_cast<int>(*h);
        out.push_back(std::move(s));
    }
    return out;
}

} // namespace

message_row read_message(const pg_result& r, int row, int first) {
    message_row m;
    m.id = std::string(r.get(row, first + 0));
    m.seq = to_int(r.get(row, first + 1)).value_or(0);
    m.membership_id = optional_text(r, row, first + 2);
    m.display_name = optional_text(r, row, first + 3);
    m.author_user_id = optional_text(r, row, first + 4);
    m.is_system = r.get(row, first + 5) == "t";
    m.text = std::string(r.get(row, first + 6));
    m.html = optional_text(r, row, first + 7);
    m.created_iso = std::string(r.get(row, first + 8));
    m.created_label = std::string(r.get(row, first + 9));
    m.edited_iso = optional_text(r, row, first + 10);
    m.edited_label = optional_text(r, row, first + 11);
    m.deleted = r.get(row, first + 12) == "t";
    m.parent_id = optional_text(r, row, first + 13);
    m.reply_count = static_cast<int>(to_int(r.get(row, first + 14)).value_or(0));
    m.reactions = parse_reactions(r.get(row, first + 15));
    m.mentions = parse_mentions(r.get(row, first + 16));
    m.mention_channel = r.get(row, first + 17) == "t";
    m.attachments = parse_attachments(r.get(row, first + 18));
    return m;
}

asio::awaitable<result<message_page>> recent_messages(pool& db, std::string channel_id,
                                                      std::optional<std::int64_t> before_seq, int limit) {
    // The newest `limit` below the cursor, read backwards along (channel_id, seq), then put in order; the
    // channel's last_seq rides on a row of its own (first, with no message) from the same statement.
    auto args =
        params(std::move(channel_id),
               before_seq ? std::optional<std::string>(std::to_string(*before_seq)) : std::nullopt, limit);
    static const std::string sql =
        "SELECT last_seq, newest.* FROM channels LEFT JOIN (" +
        message_query("WHERE m.channel_id = $1 AND ($2::bigint IS NULL OR m.seq < $2::bigint)"
                      " AND m.parent_id IS NULL AND (m.deleted_at IS NULL OR m.reply_count > 0)"
                      " ORDER BY m.seq DESC LIMIT $3") +
        ") newest ON true WHERE channels.id = $1 ORDER BY 3";
    auto r = co_await db.query(sql, std::move(args));
    if (!r) co_return r.error();
    message_page page;
    if (r->rows() == 0) co_return page; // the channel is gone
    page.last_seq = to_int(r->get(0, 0)).value_or(0);
    for (int i = 0; i < r->rows(); ++i)
        if (!r->is_null(i, 1)) page.messages.push_back(read_message(*r, i, 1));
    co_return page;
}

asio::awaitable<result<std::optional<thread_rows>>> thread_messages(pool& db, std::string channel_id,
                                                                    std::string message_id, int limit) {
    // The parent first (ordered by whether it is the parent), then its replies in order.
    auto args = params(std::move(channel_id), std::move(message_id), limit);
    static const std::string sql =
        "SELECT * FROM (" + message_query("WHERE m.channel_id = $1 AND m.id = $2 AND m.parent_id IS NULL") +
        ") parent UNION ALL SELECT * FROM (" +
        message_query("WHERE m.channel_id = $1 AND m.parent_id = $2 AND m.deleted_at IS NULL"
                      " ORDER BY m.seq LIMIT $3") +
        ") replies";
    auto r = co_await db.query(sql, std::move(args));
    if (!r) co_return r.error();
    auto rows = message_rows(*r);
    if (rows.empty() || rows.front().parent_id) co_return std::optional<thread_rows>();
    thread_rows t;
    t.parent = std::move(rows.front());
    t.replies.assign(std::make_move_iterator(rows.begin() + 1), std::make_move_iterator(rows.end()));
    co_return std::optional<thread_rows>(std::move(t));
}

asio::awaitable<result<std::optional<message_row>>> find_message(pool& db, std::string channel_id,
                                                                 std::string message_id) {
    auto args = params(std::move(channel_id), std::move(message_id));
    static const std::string sql = message_query("WHERE m.channel_id = $1 AND m.id = $2");
    auto r = co_await db.query(sql, std::move(args));
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<message_row>();
    co_return std::optional<message_row>(read_message(*r, 0, 0));
}

asio::awaitable<result<std::optional<message_row>>> last_own_message(pool& db, std::string channel_id,
                                                                     std::string membership_id) {
    auto args = params(std::move(channel_id), std::move(membership_id));
    static const std::string sql = message_query("WHERE m.channel_id = $1 AND m.membership_id = $2"
                                                 " AND m.deleted_at IS NULL AND m.parent_id IS NULL"
                                                 " ORDER BY m.seq DESC LIMIT 1");
    auto r = co_await db.query(sql, std::move(args));
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<message_row>();
    co_return std::optional<message_row>(read_message(*r, 0, 0));
}

asio::awaitable<result<posted_message>> post_message(pool& db, new_message m) {
    // One statement: bump the channel's counter (its row lock orders concurrent posts) and insert with the
    // new number; a reply also counts on its parent. A duplicate client id makes the INSERT fail with
    // unique_violation, which rolls the bump back too, so numbers stay gap-free.
    std::string mentions = uuid_array(m.mentions);
    std::string files = uuid_array(m.attachments);
    const auto file_count = static_cast<int>(m.attachments.size());
    auto args = params(m.channel_id, m.membership_id, std::move(m.text), m.client_id, std::move(m.html),
                       std::move(m.parent_id),
                       m.mentions.empty() ? std::nullopt : std::optional<std::string>(std::move(mentions)),
                       m.mention_channel, std::move(files), file_count);
    // The files become the message's in the same statement, so whoever reads the message (the listener
    // rendering it for every open page) finds them with it. Only the poster's own pending uploads of this
    // channel can be taken; the caller checked them (uploads_pending) so the count is right.
    auto r = co_await db.query(
        "WITH c AS (UPDATE channels SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq),"
        " ins AS (INSERT INTO messages (channel_id, seq, membership_id, text, client_id, html, parent_id,"
        "   mentions, mention_channel, attachments)"
        "   SELECT $1, c.last_seq, $2, $3, $4, $5, $6, $7::uuid[], $8, $10 FROM c RETURNING id, seq, "
        "parent_id),"
        " parent AS (UPDATE messages p SET reply_count = p.reply_count + 1 FROM ins WHERE p.id = "
        "ins.parent_id),"
        " files AS (UPDATE uploads f SET message_id = ins.id, position = array_position($9::uuid[], f.id)"
        "   FROM ins WHERE $10 > 0 AND f.id = ANY ($9::uuid[]) AND f.channel_id = $1 AND f.message_id IS NULL"
        "   AND f.user_id = (SELECT user_id FROM memberships WHERE id = $2))"
        " SELECT id, seq FROM ins",
        std::move(args));
    if (!r && r.error() == sqlstate::unique_violation) {
        auto args = params(std::move(m.membership_id), std::move(m.client_id));
        auto earlier = co_await db.query(
            "SELECT id, seq FROM messages WHERE membership_id = $1 AND client_id = $2", std::move(args));
        if (!earlier) co_return earlier.error();
        if (earlier->rows() == 0) co_return make_error_code(errc::protocol_error);
        co_return posted_message{std::string(earlier->get(0, 0)), to_int(earlier->get(0, 1)).value_or(0),
                                 true};
    }
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return make_error_code(sqlstate::foreign_key_violation); // the channel is gone
    co_return posted_message{std::string(r->get(0, 0)), to_int(r->get(0, 1)).value_or(0), false};
}

// The changes below share a shape: bump the channel's counter only when the message is there (the
// channel's row lock, taken first as a post takes it, orders them with posts and with each other), change
// the message, and record the event under the new number, so a bump never goes without its event.

asio::awaitable<result<bool>> edit_message(pool& db, std::string channel_id, std::string message_id,
                                           std::string text, std::string html,
                                           std::vector<std::string> mentions, bool mention_channel) {
    std::string ids = uuid_array(mentions);
    auto args =
        params(std::move(channel_id), std::move(message_id), std::move(text), std::move(html),
               mentions.empty() ? std::nullopt : std::optional<std::string>(std::move(ids)), mention_channel);
    auto r = co_await db.query(
        "WITH bump AS (UPDATE channels SET last_seq = last_seq + 1 WHERE id = $1 AND EXISTS ("
        "   SELECT 1 FROM messages WHERE id = $2 AND channel_id = $1 AND deleted_at IS NULL) RETURNING "
        "last_seq),"
        " upd AS (UPDATE messages m SET text = $3, html = $4, edited_at = now(), mentions = $5::uuid[],"
        "   mention_channel = $6 FROM bump"
        "   WHERE m.id = $2 AND m.deleted_at IS NULL RETURNING m.id),"
        " ev AS (INSERT INTO channel_events (channel_id, seq, kind, message_id)"
        "   SELECT $1, last_seq, 'edited', $2 FROM bump RETURNING seq)"
        " SELECT EXISTS (SELECT 1 FROM upd), (SELECT count(*) FROM ev)",
        std::move(args));
    co_return changed(std::move(r));
}

asio::awaitable<result<bool>> delete_message(pool& db, std::string channel_id, std::string message_id) {
    auto args = params(std::move(channel_id), std::move(message_id));
    auto r = co_await db.query(
        "WITH bump AS (UPDATE channels SET last_seq = last_seq + 1 WHERE id = $1 AND EXISTS ("
        "   SELECT 1 FROM messages WHERE id = $2 AND channel_id = $1 AND deleted_at IS NULL) RETURNING "
        "last_seq),"
        " del AS (UPDATE messages m SET deleted_at = now(), text = '', html = NULL, attachments = 0 FROM bump"
        "   WHERE m.id = $2 AND m.deleted_at IS NULL RETURNING m.parent_id),"
        // Its files go with it (their blobs through upload_garbage, uploads/garbage.hpp).
        " files AS (DELETE FROM uploads f USING del WHERE f.message_id = $2),"
        " parent AS (UPDATE messages p SET reply_count = p.reply_count - 1 FROM del WHERE p.id = "
        "del.parent_id),"
        " ev AS (INSERT INTO channel_events (channel_id, seq, kind, message_id)"
        "   SELECT $1, last_seq, 'deleted', $2 FROM bump RETURNING seq)"
        " SELECT EXISTS (SELECT 1 FROM del), (SELECT count(*) FROM ev)",
        std::move(args));
    co_return changed(std::move(r));
}

asio::awaitable<result<reaction_outcome>> toggle_reaction(pool& db, std::string channel_id,
                                                          std::string message_id, std::string membership_id,
                                                          std::string emoji, int max_kinds) {
    auto args = params(std::move(channel_id), std::move(message_id), std::move(membership_id),
                       std::move(emoji), max_kinds);
    auto r = co_await db.query(
        "WITH bump AS (UPDATE channels SET last_seq = last_seq + 1 WHERE id = $1 AND EXISTS ("
        "   SELECT 1 FROM messages WHERE id = $2 AND channel_id = $1 AND deleted_at IS NULL) RETURNING "
        "last_seq),"
        " had AS (SELECT EXISTS (SELECT 1 FROM reactions WHERE message_id = $2 AND membership_id = $3"
        "   AND emoji = $4) AS yes),"
        " room AS (SELECT (SELECT count(DISTINCT emoji) FROM reactions WHERE message_id = $2 AND emoji <> "
        "$4) < $5"
        "   OR EXISTS (SELECT 1 FROM reactions WHERE message_id = $2 AND emoji = $4) AS yes),"
        " gone AS (DELETE FROM reactions r USING bump, had WHERE had.yes AND r.message_id = $2"
        "   AND r.membership_id = $3 AND r.emoji = $4 RETURNING 1),"
        " added AS (INSERT INTO reactions (message_id, membership_id, emoji)"
        "   SELECT $2, $3, $4 FROM bump, had, room WHERE NOT had.yes AND room.yes ON CONFLICT DO NOTHING "
        "RETURNING 1),"
        " ev AS (INSERT INTO channel_events (channel_id, seq, kind, message_id)"
        "   SELECT $1, last_seq, 'reacted', $2 FROM bump RETURNING seq)"
        " SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM gone), (SELECT count(*) FROM added),"
        "   (SELECT yes FROM had), (SELECT yes FROM room)",
        std::move(args));
    if (!r) co_return r.error();
    if (r->rows() == 0 || r->get(0, 0) == "0") co_return reaction_outcome::no_message;
    if (r->get(0, 1) != "0") co_return reaction_outcome::removed;
    if (r->get(0, 2) != "0") co_return reaction_outcome::added;
    if (r->get(0, 3) == "f" && r->get(0, 4) == "f") co_return reaction_outcome::too_many_kinds;
    co_return reaction_outcome::added; // a double click raced its twin: it is there
}

} // namespace eelchat::db
