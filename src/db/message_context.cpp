#include "db/message_context.hpp"

#include "db/params.hpp"

namespace eelchat::db {

namespace asio = boost::asio;

asio::awaitable<result<std::optional<message_context>>>
messages_around(pool& db, std::string channel_id, std::string message_id, int before, int after) {
    // One statement: the anchor (the reply's parent, for a reply), then the `before`+1 messages before it
    // and `after`+1 from it on, each along (channel_id, seq); the extra one says whether there are more.
    auto args = params(std::move(channel_id), std::move(message_id), before + 1, after + 2);
    static const std::string sql = [] {
        auto part = [](std::string_view cond, std::string_view order) {
            std::string s = "SELECT ";
            s.append(message_select)
                .append(" FROM messages m")
                .append(message_joins)
                .append(" WHERE m.channel_id = $1 AND ")
                .append(cond)
                .append(" AND m.parent_id IS NULL AND (m.deleted_at IS NULL OR m.reply_count > 0) ORDER BY "
                        "m.seq ")
                .append(order);
            return s;
        };
        return "WITH anchor AS (SELECT coalesce(p.id, t.id) AS id, coalesce(p.seq, t.seq) AS seq FROM "
               "messages t"
               " LEFT JOIN messages p ON p.id = t.parent_id WHERE t.id = $2 AND t.channel_id = $1"
               " AND t.deleted_at IS NULL)"
               " SELECT c.last_seq, anchor.seq, anchor.id, around.* FROM channels c CROSS JOIN anchor"
               " LEFT JOIN LATERAL ((" +
               part("m.seq < anchor.seq", "DESC LIMIT $3") + ") UNION ALL (" +
               part("m.seq >= anchor.seq", "LIMIT $4") + ")) around ON true WHERE c.id = $1 ORDER BY 5";
    }();
    auto r = co_await db.query(sql, std::move(args));
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<message_context>();
    message_context c;
    c.last_seq = to_int(r->get(0, 0)).value_or(0);
    c.anchor_seq = to_int(r->get(0, 1)).value_or(0);
    c.anchor_id = std::string(r->get(0, 2));
    int earlier = 0, later = 0;
    for (int i = 0; i < r->rows(); ++i) {
        if (r->is_null(i, 3)) continue;
        auto m = read_message(*r, i, 3);
        (m.seq < c.anchor_seq ? earlier : later) += 1;
        c.messages.push_back(std::move(m));
    }
    if (earlier > before) {
        c.older = true;
        c.messages.erase(c.messages.begin());
    }
    if (later > after + 1) {
        c.newer = true;
        c.messages.pop_back();
    }
    co_return std::optional<message_context>(std::move(c));
}

} // namespace eelchat::db
