#include "db/message_batcher.hpp"

#include "core/metrics.hpp"

#include "core/log.hpp"
#include "db/params.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <optional>
#include <set>
#include <utility>

namespace eelchat::db {

namespace asio = boost::asio;

namespace {

// Numbers each channel's new messages after its last_seq in arrival order (i), in one statement. Messages
// already stored under the same client id are left out (the caller then reports the earlier one), and so
// are messages of channels that are gone. Channel rows are locked in id order before they are bumped, so
// two batches touching the same channels can never deadlock.
constexpr std::string_view batch_sql =
    "WITH input AS MATERIALIZED ("
    "   SELECT * FROM json_to_recordset($1::json) AS x(i int, c uuid, m uuid, t text, k uuid, h text, p "
    "uuid, n uuid[], e boolean)),"
    " fresh AS (SELECT x.* FROM input x WHERE NOT EXISTS ("
    "   SELECT 1 FROM messages e WHERE e.membership_id = x.m AND e.client_id = x.k)),"
    " counts AS (SELECT c, count(*) AS n FROM fresh GROUP BY c),"
    " locked AS MATERIALIZED (SELECT ch.id FROM channels ch JOIN counts ON counts.c = ch.id"
    "   ORDER BY ch.id FOR UPDATE OF ch),"
    " bump AS (UPDATE channels ch SET last_seq = ch.last_seq + counts.n FROM counts, locked"
    "   WHERE ch.id = counts.c AND locked.id = ch.id RETURNING ch.id, ch.last_seq, counts.n),"
    " ins AS (INSERT INTO messages (channel_id, seq, membership_id, text, client_id, html, parent_id,"
    "   mentions, mention_channel)"
    "   SELECT f.c, b.last_seq - b.n + row_number() OVER (PARTITION BY f.c ORDER BY f.i), f.m, f.t, f.k, "
    "f.h, f.p, f.n, coalesce(f.e, false)"
    "   FROM fresh f JOIN bump b ON b.id = f.c RETURNING id, seq, membership_id, client_id, parent_id),"
    " parents AS (UPDATE messages p SET reply_count = p.reply_count + r.n"
    "   FROM (SELECT parent_id, count(*) AS n FROM ins WHERE parent_id IS NOT NULL GROUP BY parent_id) r"
    "   WHERE p.id = r.parent_id)"
    " SELECT x.i, ins.id, ins.seq FROM input x JOIN ins ON ins.membership_id = x.m AND ins.client_id = x.k";

} // namespace

struct message_batcher::item {
    item(const asio::any_io_executor& ex, new_message m)
        : message(std::move(m)), done(ex, asio::steady_timer::time_point::max()) {}

    new_message message;
    std::optional<result<posted_message>> outcome;
    asio::steady_timer done; // cancelled when the outcome is known

    void finish(result<posted_message> r) {
        outcome = std::move(r);
        done.cancel();
    }
};

message_batcher::message_batcher(pool& db, logger log, message_batcher_options opts)
    : db_(db), log_(std::move(log)), opts_(opts) {}

message_batcher::~message_batcher() = default;

asio::awaitable<result<posted_message>> message_batcher::post(new_message m) {
    if (queue_.size() >= opts_.max_pending) co_return make_error_code(errc::pool_timeout);
    auto it = std::make_shared<item>(db_.get_executor(), std::move(m));
    queue_.push_back(it);
    if (writers_ < opts_.max_writers) {
        ++writers_;
        asio::co_spawn(db_.get_executor(), write_loop(), [this](std::exception_ptr e) {
            --writers_;
            log_exceptions{log_, "message_writer_crashed"}(e);
        });
    }
    boost::system::error_code ec;
    while (!it->outcome)
        co_await it->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return std::move(*it->outcome);
}

namespace {

auto& batch_sizes =
    metrics::global()
        .histograms("eelchat_db_message_batch_messages",
                    "Messages written per posting statement (1: posted alone).", metrics::size_buckets)
        .get();

} // namespace

asio::awaitable<void> message_batcher::write_loop() {
    while (!queue_.empty()) {
        std::vector<std::shared_ptr<item>> batch;
        while (!queue_.empty() && batch.size() < opts_.max_batch) {
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        batch_sizes.observe(static_cast<double>(batch.size()));
        if (batch.size() == 1)
            co_await write_alone(std::move(batch.front()));
        else
            co_await write_batch(std::move(batch));
    }
}

asio::awaitable<void> message_batcher::write_alone(std::shared_ptr<item> it) {
    auto r = co_await post_message(db_, it->message);
    it->finish(std::move(r));
}

asio::awaitable<void> message_batcher::write_batch(std::vector<std::shared_ptr<item>> batch) {
    // The same client id twice in one batch (a retry racing its original) would break the statement's
    // unique index; the repeat goes alone afterwards and is then reported as the duplicate it is.
    std::vector<std::shared_ptr<item>> later;
    std::set<std::pair<std::string_view, std::string_view>> keys; // views into the items, which stay put
    boost::json::array rows;
    std::vector<std::shared_ptr<item>> sent;
    for (auto& it : batch) {
        const auto& m = it->message;
        // A message with files goes alone: the batch statement does not attach uploads.
        if (!m.attachments.empty() || !keys.emplace(m.membership_id, m.client_id).second) {
            later.push_back(std::move(it));
            continue;
        }
        boost::json::object row;
        row["i"] = sent.size();
        row["c"] = m.channel_id;
        row["m"] = m.membership_id;
        row["t"] = m.text;
        row["k"] = m.client_id;
        if (m.html) row["h"] = *m.html;
        if (m.parent_id) row["p"] = *m.parent_id;
        if (!m.mentions.empty()) {
            boost::json::array ids;
            for (const auto& id : m.mentions)
                ids.emplace_back(id);
            row["n"] = std::move(ids);
        }
        if (m.mention_channel) row["e"] = true;
        rows.push_back(std::move(row));
        sent.push_back(std::move(it));
    }

    auto args = params(boost::json::serialize(rows));
    auto r = co_await db_.query(batch_sql, std::move(args));
    if (!r) {
        // A lost connection, a deadlock with a single post, a race on a client id: every message still
        // gets its own attempt, which reports its own outcome.
        log_.warn("message_batch_failed", {{"messages", sent.size()}, {"error", r.error().message()}});
        for (auto& it : sent)
            later.push_back(std::move(it));
    } else {
        std::vector<bool> stored(sent.size(), false);
        for (int row = 0; row < r->rows(); ++row) {
            auto i = to_int(r->get(row, 0));
            auto seq = to_int(r->get(row, 2));
            if (!i || !seq || *i < 0 || static_cast<std::size_t>(*i) >= sent.size()) continue;
            const auto at = static_cast<std::size_t>(*i);
            stored[at] = true;
            sent[at]->finish(posted_message{std::string(r->get(row, 1)), *seq, false});
        }
        // Left out: an earlier message with the same client id, or a deleted channel. Alone, each gets
        // the answer post_message gives.
        for (std::size_t i = 0; i < sent.size(); ++i)
            if (!stored[i]) later.push_back(std::move(sent[i]));
    }
    for (auto& it : later)
        co_await write_alone(std::move(it));
}

} // namespace eelchat::db
