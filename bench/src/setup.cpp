#include "setup.hpp"

#include "core/crypto.hpp"

#include <algorithm>
#include <stdexcept>

namespace eelbench {

bench_db::bench_db(const std::string& url) : conn_(PQconnectdb(url.c_str()), &PQfinish) {
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK)
        throw std::runtime_error("cannot connect to the database: " +
                                 std::string(conn_ ? PQerrorMessage(conn_.get()) : "out of memory"));
    exec("SET client_min_messages = warning");
}

bench_db::result bench_db::exec(const std::string& sql, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    for (const auto& p : params)
        values.push_back(p.c_str());
    std::shared_ptr<PGresult> r(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()),
                                             nullptr, values.data(), nullptr, nullptr, 0),
                                &PQclear);
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        throw std::runtime_error("database: " + std::string(PQerrorMessage(conn_.get())) +
                                 " (in: " + sql.substr(0, 80) + ")");
    return result{std::move(r)};
}

std::string random_tag() {
    return eelchat::crypto::random_token().substr(0, 16);
}

namespace {

std::string email_pattern(const std::string& tag) {
    return "eb-" + tag + "-%@bench.invalid";
}

} // namespace

void add_members(bench_db& db, bench_world& w, int users) {
    if (users <= 0) return;
    const std::string first = std::to_string(w.users.size() + 1);
    const std::string last = std::to_string(w.users.size() + static_cast<std::size_t>(users));
    // The session token of member i is sha256_hex(tag ":" i): the bench computes the same cookie values.
    db.exec("INSERT INTO users (email) SELECT 'eb-' || $1 || '-' || g || '@bench.invalid'"
            " FROM generate_series($2::int, $3::int) g",
            {w.tag, first, last});
    db.exec(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at)"
        " SELECT encode(sha256(convert_to(encode(sha256(convert_to($1 || ':' || g, 'UTF8')), 'hex'), "
        "'UTF8')), 'hex'),"
        "        u.id, encode(sha256(convert_to($1 || ':c:' || g, 'UTF8')), 'hex'), now() + interval '2 days'"
        " FROM generate_series($2::int, $3::int) g"
        " JOIN users u ON u.email = 'eb-' || $1 || '-' || g || '@bench.invalid'",
        {w.tag, first, last});
    db.exec("INSERT INTO memberships (user_id, community_id)"
            " SELECT u.id, $2 FROM generate_series($3::int, $4::int) g"
            " JOIN users u ON u.email = 'eb-' || $1 || '-' || g || '@bench.invalid'",
            {w.tag, w.community_id, first, last});
    for (int i = 0; i < users; ++i) {
        const std::string n = std::to_string(w.users.size() + 1);
        bench_user u;
        u.cookie = "eelchat_session=" + eelchat::crypto::sha256_hex(w.tag + ":" + n);
        u.csrf = eelchat::crypto::sha256_hex(w.tag + ":c:" + n);
        w.users.push_back(std::move(u));
    }
}

bench_world create_world(bench_db& db, const std::string& tag, int users, int channels) {
    bench_world w;
    w.tag = tag;
    w.community_id =
        db.exec("INSERT INTO communities (title) VALUES ($1) RETURNING id", {"eelbench " + tag}).get(0, 0);
    auto rows = db.exec("INSERT INTO channels (community_id, title)"
                        " SELECT $1, 'bench ' || g FROM generate_series(1, $2::int) g RETURNING id, title",
                        {w.community_id, std::to_string(channels)});
    w.channel_ids.resize(static_cast<std::size_t>(channels));
    for (int r = 0; r < rows.rows(); ++r) {
        const std::size_t index = std::stoul(rows.get(r, 1).substr(6)) - 1;
        w.channel_ids.at(index) = rows.get(r, 0);
    }
    add_members(db, w, users);
    return w;
}

void drop_world(bench_db& db, const bench_world& w) {
    db.exec("DELETE FROM communities WHERE id = $1", {w.community_id});
    db.exec("DELETE FROM users WHERE email LIKE $1", {email_pattern(w.tag)});
}

history_channel ensure_history_channel(bench_db& db, std::int64_t messages) {
    history_channel h;
    h.messages = messages;
    const std::string title = "eelbench history " + std::to_string(messages);
    auto found = db.exec("SELECT c.id, ch.id FROM communities c JOIN channels ch ON ch.community_id = c.id"
                         " WHERE c.title = $1 AND ch.last_seq = $2::bigint LIMIT 1",
                         {title, std::to_string(messages)});
    h.world.tag = random_tag();
    if (found.rows() == 1) {
        h.world.community_id = found.get(0, 0);
        h.world.channel_ids.push_back(found.get(0, 1));
        return h;
    }
    h.created = true;
    db.exec("BEGIN");
    h.world.community_id =
        db.exec("INSERT INTO communities (title) VALUES ($1) RETURNING id", {title}).get(0, 0);
    h.world.channel_ids.push_back(
        db.exec("INSERT INTO channels (community_id, title) VALUES ($1, 'history') RETURNING id",
                {h.world.community_id})
            .get(0, 0));
    // One author for the whole history (a member of the community, as a real one would be).
    db.exec("INSERT INTO users (email) VALUES ($1)", {"eb-history-" + h.world.tag + "@bench.invalid"});
    auto membership = db.exec("INSERT INTO memberships (user_id, community_id)"
                              " SELECT id, $2 FROM users WHERE email = $1 RETURNING id",
                              {"eb-history-" + h.world.tag + "@bench.invalid", h.world.community_id})
                          .get(0, 0);
    db.exec("INSERT INTO messages (channel_id, seq, membership_id, text, created_at)"
            " SELECT $1, g, $2, 'history message ' || g || ' ' || repeat('h', 80),"
            "        now() - make_interval(secs => ($3::bigint - g))"
            " FROM generate_series(1, $3::bigint) g",
            {h.world.channel_ids[0], membership, std::to_string(messages)});
    db.exec("UPDATE channels SET last_seq = $2::bigint WHERE id = $1",
            {h.world.channel_ids[0], std::to_string(messages)});
    db.exec("COMMIT");
    db.exec("ANALYZE messages");
    return h;
}

std::vector<std::int64_t> last_seqs(bench_db& db, const std::vector<std::string>& ids) {
    std::string array = "{";
    for (std::size_t i = 0; i < ids.size(); ++i)
        array += (i ? "," : "") + ids[i];
    array += "}";
    auto r = db.exec("SELECT id, last_seq FROM channels WHERE id = ANY($1::uuid[])", {array});
    std::vector<std::int64_t> out(ids.size(), 0);
    for (int row = 0; row < r.rows(); ++row) {
        auto it = std::find(ids.begin(), ids.end(), r.get(row, 0));
        if (it != ids.end()) out[static_cast<std::size_t>(it - ids.begin())] = std::stoll(r.get(row, 1));
    }
    return out;
}

} // namespace eelbench
