// The database limit for ingest: single-row INSERTs of the same row shape as a posted message (same
// columns, indexes, unique constraints and foreign keys) into a copy of the messages table that has no
// NOTIFY trigger, with the same concurrency as ingest's posters and synchronous_commit on. Each
// connection is driven by its own thread with plain blocking libpq: the database is what is measured.
#include "frames.hpp"
#include "measure.hpp"
#include "posting.hpp"
#include "scenario.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

namespace eelbench {

report run_pg_insert_baseline(bench_context& ctx, bench_db& db, bool notify) {
    const options& o = ctx.opts;
    const int connections = o.posters;
    report r;
    r.scenario = notify ? "baseline_pg_insert_notify" : "baseline_pg_insert";
    r.parameters["notify"] = notify ? "one NOTIFY per INSERT (statement trigger)" : "none";
    r.parameters["connections"] = connections;
    r.parameters["synchronous_commit"] = "on";
    r.parameters["message_bytes"] = o.message_size;
    r.parameters["warmup_s"] = 1.0;
    r.parameters["duration_s"] = std::min(o.duration, 5.0);

    std::fprintf(stderr, "eelbench: baseline: raw INSERT rate with %d connections\n", connections);
    bench_world world = create_world(db, random_tag(), 1, std::max(1, o.channels));
    db.exec("DROP TABLE IF EXISTS eelbench_raw_messages");
    db.exec("CREATE TABLE eelbench_raw_messages (LIKE messages INCLUDING ALL)");
    db.exec("ALTER TABLE eelbench_raw_messages ADD FOREIGN KEY (channel_id) REFERENCES channels (id) ON "
            "DELETE CASCADE,"
            " ADD FOREIGN KEY (membership_id) REFERENCES memberships (id) ON DELETE SET NULL");
    if (notify) {
        db.exec("CREATE OR REPLACE FUNCTION eelbench_raw_notify() RETURNS trigger LANGUAGE plpgsql AS $$"
                " BEGIN PERFORM pg_notify('eelbench_raw', 'm:' || channel_id || ':' || max(seq))"
                " FROM new_rows GROUP BY channel_id; RETURN NULL; END $$");
        db.exec("CREATE TRIGGER eelbench_raw_notify AFTER INSERT ON eelbench_raw_messages REFERENCING NEW "
                "TABLE AS"
                " new_rows FOR EACH STATEMENT EXECUTE FUNCTION eelbench_raw_notify()");
    }
    const std::string membership =
        db.exec("SELECT id FROM memberships WHERE community_id = $1 LIMIT 1", {world.community_id}).get(0, 0);

    std::atomic<bool> stop{false}, recording{false};
    std::atomic<std::uint64_t> window{0}, errors{0};
    std::vector<histogram> latencies(static_cast<std::size_t>(connections));
    std::string first_error;
    std::mutex error_mutex;
    std::vector<std::thread> workers;
    for (int c = 0; c < connections; ++c) {
        workers.emplace_back([&, c] {
            try {
                bench_db conn(o.database_url);
                conn.exec("SET synchronous_commit = on");
                const std::string channel =
                    world.channel_ids[static_cast<std::size_t>(c) % world.channel_ids.size()];
                // Each connection numbers its own rows apart from the others: (channel, seq) is unique.
                std::uint64_t seq = static_cast<std::uint64_t>(c) * 1'000'000'000ull;
                std::uint64_t n = seq;
                while (!stop.load(std::memory_order_relaxed)) {
                    ++seq;
                    const auto t0 = now_ns();
                    bench_mark m{++n, 0, t0};
                    conn.exec(
                        "INSERT INTO eelbench_raw_messages (channel_id, seq, membership_id, text, client_id,"
                        " community_id) VALUES ($1, $2, $3, $4, $5, $6)",
                        {channel, std::to_string(seq), membership,
                         make_text(m, static_cast<std::size_t>(o.message_size)), client_id_for(n),
                         world.community_id});
                    if (recording.load(std::memory_order_relaxed)) {
                        window.fetch_add(1, std::memory_order_relaxed);
                        latencies[static_cast<std::size_t>(c)].record(
                            static_cast<std::uint64_t>((now_ns() - t0) / 1000));
                    }
                }
            } catch (const std::exception& e) {
                errors.fetch_add(1);
                std::lock_guard lock(error_mutex);
                if (first_error.empty()) first_error = e.what();
            }
        });
    }
    sleep_seconds(1.0);
    recording.store(true);
    const auto t0 = now_ns();
    sleep_seconds(std::min(o.duration, 5.0));
    recording.store(false);
    const double seconds = static_cast<double>(now_ns() - t0) / 1e9;
    stop.store(true);
    for (auto& t : workers)
        t.join();

    histogram all;
    for (const auto& h : latencies)
        all.merge(h);
    const double rate = static_cast<double>(window.load()) / seconds;
    if (notify)
        ctx.base.pg_notify_inserts_per_s = rate;
    else
        ctx.base.pg_inserts_per_s = rate;
    r.add_rate("inserts_per_s", rate,
               notify ? "single-row INSERTs/s (one NOTIFY each)" : "single-row INSERTs/s (no NOTIFY)",
               "rows/s");
    r.add_latency("insert_latency", all, "INSERT latency");
    r.add_errors("errors", errors.load(),
                 "connections failed" + (first_error.empty() ? "" : " (" + first_error + ")"));
    db.exec("DROP TABLE eelbench_raw_messages");
    if (notify) db.exec("DROP FUNCTION eelbench_raw_notify()");
    drop_world(db, world);
    return r;
}

} // namespace eelbench
