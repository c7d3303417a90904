// eelbench: prepares its data in the server's database, measures the limits the server is held against
// (raw INSERTs, loopback websocket writes), runs the scenarios, prints a table per scenario and writes
// them as JSON. Exits 1 when any scenario lost, duplicated or reordered a delivery.
#include "connection_shards.hpp"
#include "loader.hpp"
#include "options.hpp"
#include "proc_stats.hpp"
#include "scenario.hpp"
#include "setup.hpp"

#include "core/log.hpp"

#include <boost/json/serialize.hpp>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

using namespace eelbench;

namespace {

int int_arg(const std::vector<std::string>& args, const std::string& name, int fallback) {
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == name) return std::stoi(args[i + 1]);
    return fallback;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    // A peer that vanishes must not kill the loader.
    std::signal(SIGPIPE, SIG_IGN);
    const auto open_files = raise_open_file_limit();

    if (!args.empty() && args[0] == "--connections-shard") return connections_shard_main(args);
    if (!args.empty() && args[0] == "--loopback-server") {
        return loopback_server_main(int_arg(args, "--subscribers", 1000), int_arg(args, "--in-flight", 8),
                                    int_arg(args, "--message-size", 100),
                                    static_cast<unsigned>(int_arg(args, "--threads", 1)),
                                    int_arg(args, "--batched", 1) != 0);
    }

    auto parsed = parse_options(args);
    if (parsed.opts.help) {
        std::cout << usage();
        return 0;
    }
    if (!parsed.error.empty()) {
        std::fprintf(stderr, "eelbench: %s\n", parsed.error.c_str());
        return 2;
    }
    bench_context ctx;
    ctx.opts = parsed.opts;
    ctx.threads = ctx.opts.threads > 0 ? static_cast<unsigned>(ctx.opts.threads) : default_threads();
    std::vector<report> reports;
    auto machine = machine_info();
    if (!parsed.opts.server_settings.empty()) {
        boost::json::array settings;
        std::string listed;
        for (const auto& s : parsed.opts.server_settings) {
            settings.emplace_back(s);
            listed += (listed.empty() ? "" : " ") + s;
        }
        machine["server_settings"] = std::move(settings);
        std::fprintf(stderr, "eelbench: servers run with raised limits: %s\n", listed.c_str());
    }
    const std::string commit = ctx.opts.commit.empty() ? source_commit() : ctx.opts.commit;
    try {
        for (const auto& u : ctx.opts.urls)
            ctx.instances.push_back(instance{u, resolve(u)});
        bench_db db(ctx.opts.database_url);
        std::fprintf(
            stderr, "eelbench: %zu instance(s), %u loader threads, open-file limit %llu, commit %s\n",
            ctx.instances.size(), ctx.threads, static_cast<unsigned long long>(open_files), commit.c_str());

        auto wants = [&](const char* name) {
            return std::find(ctx.opts.scenarios.begin(), ctx.opts.scenarios.end(), name) !=
                   ctx.opts.scenarios.end();
        };
        if (!ctx.opts.skip_baselines) {
            if (wants("ingest")) {
                reports.push_back(run_pg_insert_baseline(ctx, db, false));
                reports.push_back(run_pg_insert_baseline(ctx, db, true));
            }
            if (wants("fanout")) {
                reports.push_back(run_loopback_baseline(ctx, true));
                reports.push_back(run_loopback_baseline(ctx, false));
            }
            for (const auto& r : reports)
                r.print();
        }
        for (const auto& name : ctx.opts.scenarios) {
            report r;
            if (name == "fanout")
                r = run_fanout(ctx, db, name, ctx.opts.subscribers);
            else if (name == "fanout_small")
                r = run_fanout(ctx, db, name, ctx.opts.small_subscribers);
            else if (name == "ingest")
                r = run_ingest(ctx, db);
            else if (name == "connections")
                r = run_connections(ctx, db);
            else if (name == "history")
                r = run_history(ctx, db);
            else if (name == "search")
                r = run_search(ctx, db);
            else if (name == "mixed")
                r = run_mixed(ctx, db);
            r.print();
            reports.push_back(std::move(r));
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "eelbench: %s\n", e.what());
        return 2;
    }

    bool failed = false;
    boost::json::array out;
    for (const auto& r : reports) {
        failed = failed || r.failed();
        out.push_back(r.to_json(machine, commit));
    }
    if (!ctx.opts.json_path.empty()) {
        std::ofstream f(ctx.opts.json_path);
        f << boost::json::serialize(out) << "\n";
        if (!f) {
            std::fprintf(stderr, "eelbench: cannot write %s\n", ctx.opts.json_path.c_str());
            return 2;
        }
    }
    std::cout << "\n" << (failed ? "FAILED" : "PASSED") << ": " << reports.size() << " report(s)";
    if (!ctx.opts.json_path.empty()) std::cout << ", JSON in " << ctx.opts.json_path;
    std::cout << "\n";
    return failed ? 1 : 0;
}
