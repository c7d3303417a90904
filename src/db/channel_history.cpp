#include "db/channel_history.hpp"

#include "db/params.hpp"

namespace eelchat::db {

namespace asio = boost::asio;

namespace {

// Both halves of the sequence are read along their (channel_id, seq) indexes and merged in order, so a
// page of events costs the same however long the channel's history is.
const std::string& events_sql() {
    static const std::string sql =
        "WITH e AS ("
        "   SELECT seq, 'posted'::text AS kind, id AS message_id, NULL::uuid AS subject_id FROM messages"
        "   WHERE channel_id = $1 AND seq > $2::bigint"
        "   UNION ALL SELECT seq, kind, message_id, subject_id FROM channel_events"
        "   WHERE channel_id = $1 AND seq > $2::bigint"
        "   ORDER BY seq LIMIT $3)"
        " SELECT e.seq, e.kind, p.seq, p.reply_count,"
        "   here.id, here.title, here.topic, here.kind, co.id, co.title, sc.id, sc.title, sc.kind,"
        "   e.message_id IS NOT NULL, " +
        std::string(message_select) + " FROM e LEFT JOIN messages m ON m.id = e.message_id" +
        std::string(message_joins) +
        " LEFT JOIN messages p ON p.id = m.parent_id"
        " LEFT JOIN channels here ON e.kind = 'renamed' AND here.id = $1"
        " LEFT JOIN communities co ON co.id = here.community_id"
        " LEFT JOIN channels sc ON e.kind = 'renamed' AND sc.id = e.subject_id"
        " ORDER BY e.seq";
    return sql;
}

event_kind kind_of(std::string_view k) {
    if (k == "edited") return event_kind::edited;
    if (k == "deleted") return event_kind::deleted;
    if (k == "reacted") return event_kind::reacted;
    if (k == "renamed") return event_kind::renamed;
    return event_kind::posted;
}

} // namespace

asio::awaitable<result<std::vector<event_row>>> events_after(pool& db, std::string channel_id,
                                                             std::int64_t after, int limit) {
    auto args = params(std::move(channel_id), after, limit);
    auto r = co_await db.query(events_sql(), std::move(args));
    if (!r) co_return r.error();
    std::vector<event_row> out;
    out.reserve(static_cast<std::size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i) {
        event_row e;
        e.seq = to_int(r->get(i, 0)).value_or(0);
        e.kind = kind_of(r->get(i, 1));
        e.parent_seq = r->is_null(i, 2) ? std::nullopt : to_int(r->get(i, 2));
        e.parent_reply_count = static_cast<int>(to_int(r->get(i, 3)).value_or(0));
        if (e.kind == event_kind::renamed) {
            names_row n;
            n.channel_id = std::string(r->get(i, 4));
            n.channel_title = std::string(r->get(i, 5));
            n.channel_topic = std::string(r->get(i, 6));
            n.channel_kind = std::string(r->get(i, 7));
            n.community_id = std::string(r->get(i, 8));
            n.community_title = std::string(r->get(i, 9));
            n.subject_channel_id = optional_text(*r, i, 10);
            n.subject_title = std::string(r->get(i, 11));
            n.subject_kind = std::string(r->get(i, 12));
            e.names = std::move(n);
        }
        if (r->get(i, 13) == "t" && !r->is_null(i, 14)) e.message = read_message(*r, i, 14);
        out.push_back(std::move(e));
    }
    co_return out;
}

asio::awaitable<result<std::optional<channel_position>>> find_channel_position(pool& db,
                                                                               std::string channel_id) {
    auto args = params(std::move(channel_id));
    auto r = co_await db.query("SELECT last_seq, community_id FROM channels WHERE id = $1", std::move(args));
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<channel_position>();
    co_return std::optional<channel_position>(
        channel_position{to_int(r->get(0, 0)).value_or(0), std::string(r->get(0, 1))});
}

} // namespace eelchat::db
