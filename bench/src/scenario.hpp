// What every scenario shares: the options, the resolved instances, the database, the baselines measured
// earlier in the run, and the scenario entry points. Each scenario builds its own world in the database,
// its own loader threads and subscribers, measures, checks every delivery, and returns a report.
#pragma once

#include "clients.hpp"
#include "options.hpp"
#include "report.hpp"
#include "setup.hpp"

#include <optional>
#include <string>
#include <vector>

namespace eelbench {

struct instance {
    target_url url;
    tcp::endpoint endpoint;
};

struct baselines {
    std::optional<double> pg_inserts_per_s;        // raw single-row INSERTs, same concurrency as ingest
    std::optional<double> pg_notify_inserts_per_s; // the same with a NOTIFY per statement (eelchat's trigger)
    std::optional<double> loopback_batched_per_s;  // frames/s, all queued frames per write
    std::optional<double> loopback_single_per_s;   // frames/s, one write per frame per socket
};

struct bench_context {
    options opts;
    std::vector<instance> instances;
    unsigned threads = 1;
    baselines base;

    // Connection number n goes to instance n % count, from loopback source address n.
    endpoint_spec spec_for(std::size_t n) const {
        const instance& inst = instances[n % instances.size()];
        return endpoint_spec{inst.endpoint, source_address(inst.endpoint, n), inst.url.host_header};
    }
};

// The parameters every load scenario reports: instances, loader threads, message size, warm-up, window.
void add_load_parameters(report& r, const bench_context& ctx);

// `name` is "fanout" (--subscribers) or "fanout_small" (--small-subscribers): the same scenario, where a
// message's delivery to everyone is short enough that the pipeline from post to delivery shows.
report run_fanout(bench_context& ctx, bench_db& db, const std::string& name, int subscribers);
report run_ingest(bench_context& ctx, bench_db& db);
report run_connections(bench_context& ctx, bench_db& db);
report run_history(bench_context& ctx, bench_db& db);
report run_search(bench_context& ctx, bench_db& db);
report run_mixed(bench_context& ctx, bench_db& db);

// The limits: a report each (also stored in ctx.base for the scenarios' ratios).
// `notify`: the copy gets a statement-level trigger sending one NOTIFY per INSERT, like eelchat's
// messages_notify, to show what NOTIFY costs at commit (not a limit: a reference point).
report run_pg_insert_baseline(bench_context& ctx, bench_db& db, bool notify);
report run_loopback_baseline(bench_context& ctx, bool batched);

// The loopback baseline's server side, run in a child process (`eelbench --loopback-server ...`) because
// one process cannot hold both ends of 10,000 sockets. Prints its port on stdout, serves until killed.
int loopback_server_main(int subscribers, int in_flight, int message_size, unsigned threads, bool batched);

// Sleeps the main thread for `seconds` (fractional).
void sleep_seconds(double seconds);

} // namespace eelbench
