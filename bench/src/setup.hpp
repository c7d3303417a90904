// The bench setup step: everything a scenario needs is created in the server's database in bulk, with
// INSERT ... SELECT over generate_series (a few statements whatever the count), so the server needs no
// test-only door. Users get sessions whose cookie values the bench derives from a per-world tag
// (token = sha256_hex(tag ":" i), stored as sha256_hex(token) like any session), and CSRF tokens alike.
//
// These calls block (plain libpq): they run on the main thread before and after the loader's threads.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace eelbench {

// One blocking connection. Throws std::runtime_error with PostgreSQL's message on any failure.
class bench_db {
public:
    explicit bench_db(const std::string& url);

    struct result {
        std::shared_ptr<PGresult> res;
        int rows() const { return PQntuples(res.get()); }
        std::string get(int row, int col) const { return PQgetvalue(res.get(), row, col); }
    };
    result exec(const std::string& sql, const std::vector<std::string>& params = {});
    PGconn* raw() { return conn_.get(); }

private:
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

struct bench_user {
    std::string cookie; // "eelchat_session=<token>"
    std::string csrf;
};

// A community with `users` members (signed in, with sessions) and `channels` channels.
struct bench_world {
    std::string tag;
    std::string community_id;
    std::vector<bench_user> users;
    std::vector<std::string> channel_ids; // by bench channel index
    std::string channel_path(std::size_t channel) const {
        return "/community/" + community_id + "/channel/" + channel_ids[channel];
    }
};

// Creates a fresh world. `tag` must be unique in the database (the bench uses a random one per scenario).
bench_world create_world(bench_db& db, const std::string& tag, int users, int channels);
// Adds `users` signed-in members to an existing community (the history channel's).
void add_members(bench_db& db, bench_world& world, int users);
// Removes a world's community (channels, messages, memberships) and users (sessions).
void drop_world(bench_db& db, const bench_world& world);

// The history channel: `messages` messages in one channel of the community "eelbench history", created
// once (about half a minute for a million) and reused by later runs against the same database.
struct history_channel {
    bench_world world; // community and its one channel; no users yet
    std::int64_t messages = 0;
    bool created = false; // this run made it
};
history_channel ensure_history_channel(bench_db& db, std::int64_t messages);

// channels.last_seq of each channel, in the order given.
std::vector<std::int64_t> last_seqs(bench_db& db, const std::vector<std::string>& channel_ids);

// A random hex tag (16 characters).
std::string random_tag();

} // namespace eelbench
