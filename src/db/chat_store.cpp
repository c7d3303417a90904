#include "db/chat_store.hpp"

#include "db/params.hpp"

namespace eelchat::db {

namespace asio = boost::asio;

namespace {

membership_row membership_at(const pg_result& r, int row) {
    return membership_row{std::string(r.get(row, 0)), std::string(r.get(row, 1)), std::string(r.get(row, 2)),
                          r.get(row, 3) == "t"};
}


// The columns of a rendered message, read through the author's membership to their display name.
constexpr std::string_view message_columns =
    "SELECT m.id, m.seq, m.membership_id, u.display_name, m.is_system, m.text,"
    " to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(m.created_at AT TIME ZONE 'UTC', 'FMDD Mon FMHH12:MI AM')"
    " FROM messages m"
    " LEFT JOIN memberships ms ON ms.id = m.membership_id"
    " LEFT JOIN users u ON u.id = ms.user_id";

std::vector<message_row> message_rows(const pg_result& r) {
    std::vector<message_row> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
        message_row m;
        m.id = std::string(r.get(i, 0));
        m.seq = to_int(r.get(i, 1)).value_or(0);
        m.membership_id = optional_text(r, i, 2);
        m.display_name = optional_text(r, i, 3);
        m.is_system = r.get(i, 4) == "t";
        m.text = std::string(r.get(i, 5));
        m.created_iso = std::string(r.get(i, 6));
        m.created_label = std::string(r.get(i, 7));
        out.push_back(std::move(m));
    }
    return out;
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
    for (int i = 0; i < r->rows(); ++i) out.push_back(membership_at(*r, i));
    co_return out;
}

asio::awaitable<result<std::optional<community_access_row>>>
find_community_access(pool& db, std::string user_id, std::string community_id, std::optional<std::string> channel_id) {
    auto args = params(std::move(community_id), std::move(user_id), std::move(channel_id));
    auto r = co_await db.query("SELECT c.id, c.title, m.id, 'admin' = ANY(m.roles), ch.id, ch.title"
                               " FROM communities c"
                               " LEFT JOIN memberships m ON m.community_id = c.id AND m.user_id = $2"
                               " LEFT JOIN channels ch ON ch.community_id = c.id AND ch.id = $3"
                               " WHERE c.id = $1",
                               std::move(args));
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<community_access_row>();
    community_access_row a;
    a.community = community_row{std::string(r->get(0, 0)), std::string(r->get(0, 1))};
    if (auto m = optional_text(*r, 0, 2))
        a.membership = membership_row{std::move(*m), a.community.id, a.community.title, r->get(0, 3) == "t"};
    if (auto ch = optional_text(*r, 0, 4)) a.channel = channel_row{std::move(*ch), std::string(r->get(0, 5))};
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

asio::awaitable<result<void>> join_community(pool& db, std::string user_id, std::string community_id) {
    auto args = params(std::move(user_id), std::move(community_id));
    auto r = co_await db.query("INSERT INTO memberships (user_id, community_id) VALUES ($1, $2)"
                               " ON CONFLICT (user_id, community_id) DO NOTHING",
                               std::move(args));
    if (!r) co_return r.error();
    co_return result<void>();
}

asio::awaitable<result<std::vector<channel_row>>> list_channels(pool& db, std::string community_id) {
    auto args = params(std::move(community_id));
    auto r = co_await db.query("SELECT id, title FROM channels WHERE community_id = $1 ORDER BY title, id",
                               std::move(args));
    if (!r) co_return r.error();
    std::vector<channel_row> out;
    for (int i = 0; i < r->rows(); ++i) out.push_back({std::string(r->get(i, 0)), std::string(r->get(i, 1))});
    co_return out;
}

asio::awaitable<result<std::string>> create_channel(pool& db, std::string community_id, std::string title) {
    auto args = params(std::move(community_id), std::move(title));
    auto r = co_await db.query("INSERT INTO channels (community_id, title) VALUES ($1, $2) RETURNING id",
                               std::move(args));
    if (!r) co_return r.error();
    co_return std::string(r->get(0, 0));
}

asio::awaitable<result<bool>> delete_channel(pool& db, std::string community_id, std::string channel_id) {
    auto args = params(std::move(community_id), std::move(channel_id));
    auto r = co_await db.query("DELETE FROM channels WHERE id = $2 AND community_id = $1",
                               std::move(args));
    if (!r) co_return failure<bool>(r.error());
    co_return r->affected_rows() == 1;
}

asio::awaitable<result<std::vector<message_row>>> recent_messages(pool& db, std::string channel_id,
                                                                  std::optional<std::int64_t> before_seq,
                                                                  int limit) {
    // The newest `limit` below the cursor, read backwards along (channel_id, seq), then put in order.
    auto args = params(std::move(channel_id), before_seq ? std::optional<std::string>(std::to_string(*before_seq)) : std::nullopt,
               limit);
    static const std::string sql = "SELECT * FROM (" + std::string(message_columns) +
                                   " WHERE m.channel_id = $1 AND ($2::bigint IS NULL OR m.seq < $2::bigint)"
                                   " ORDER BY m.seq DESC LIMIT $3) newest ORDER BY seq";
    auto r = co_await db.query(sql, std::move(args));
    if (!r) co_return r.error();
    co_return message_rows(*r);
}

asio::awaitable<result<std::vector<message_row>>> messages_after(pool& db, std::string channel_id, std::int64_t after,
                                                                 int limit) {
    auto args = params(std::move(channel_id), after, limit);
    static const std::string sql =
        std::string(message_columns) + " WHERE m.channel_id = $1 AND m.seq > $2::bigint ORDER BY m.seq LIMIT $3";
    auto r = co_await db.query(sql, std::move(args));
    if (!r) co_return r.error();
    co_return message_rows(*r);
}

asio::awaitable<result<std::optional<std::int64_t>>> channel_last_seq(pool& db, std::string channel_id) {
    auto args = params(std::move(channel_id));
    auto r = co_await db.query("SELECT last_seq FROM channels WHERE id = $1", std::move(args));
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<std::int64_t>();
    co_return std::optional<std::int64_t>(to_int(r->get(0, 0)).value_or(0));
}

asio::awaitable<result<posted_message>> post_message(pool& db, std::string channel_id, std::string membership_id,
                                                     std::string text, std::string client_id) {
    // One statement: bump the channel's counter (its row lock orders concurrent posts) and insert with the
    // new number. A duplicate client id makes the INSERT fail with unique_violation, which rolls the bump
    // back too, so numbers stay gap-free.
    auto args = params(channel_id, membership_id, std::move(text), client_id);
    auto r = co_await db.query(
        "WITH c AS (UPDATE channels SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)"
        " INSERT INTO messages (channel_id, seq, membership_id, text, client_id)"
        " SELECT $1, c.last_seq, $2, $3, $4 FROM c RETURNING id, seq",
        std::move(args));
    if (!r && r.error() == sqlstate::unique_violation) {
        auto args = params(std::move(membership_id), std::move(client_id));
        auto earlier = co_await db.query("SELECT id, seq FROM messages WHERE membership_id = $1 AND client_id = $2",
                                         std::move(args));
        if (!earlier) co_return earlier.error();
        if (earlier->rows() == 0) co_return make_error_code(errc::protocol_error);
        co_return posted_message{std::string(earlier->get(0, 0)), to_int(earlier->get(0, 1)).value_or(0), true};
    }
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return make_error_code(sqlstate::foreign_key_violation); // the channel is gone
    co_return posted_message{std::string(r->get(0, 0)), to_int(r->get(0, 1)).value_or(0), false};
}

} // namespace eelchat::db
