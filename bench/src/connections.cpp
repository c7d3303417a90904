// connections: N idle websockets per instance, all members of one channel. The server's resident memory
// is read before and after connecting (per connection: the difference over N), its CPU over an idle
// window; then a few messages check that every idle socket still delivers, once and in order.
#include "frames.hpp"
#include "measure.hpp"
#include "posting.hpp"
#include "scenario.hpp"
#include "subscriber_group.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdio>

namespace eelbench {

namespace asio = boost::asio;

namespace {
constexpr int check_messages = 3;

asio::awaitable<unsigned> post_one(poster& p, std::string path, std::uint64_t k) {
    co_return co_await p.post(path, 0, k, now_ns());
}
} // namespace

report run_connections(bench_context& ctx, bench_db& db) {
    const options& o = ctx.opts;
    const int total = o.connections * static_cast<int>(ctx.instances.size());
    report r;
    r.scenario = "connections";
    r.parameters["connections_per_instance"] = o.connections;
    r.parameters["instances"] = ctx.instances.size();
    r.parameters["loader_threads"] = ctx.threads;
    r.parameters["idle_s"] = o.duration;

    const std::uint64_t limit = raise_open_file_limit();
    if (static_cast<std::uint64_t>(total) + 200 > limit) {
        r.failures.push_back("one eelbench process may hold " + std::to_string(limit) +
                             " open files, too few for " + std::to_string(total) +
                             " connections: run one eelbench per instance (--url once each)");
        return r;
    }
    std::fprintf(stderr, "eelbench: connections: %d idle websockets\n", total);
    bench_world world = create_world(db, random_tag(), total + 1, 1);
    const std::string path = world.channel_path(0);
    const auto before = sample_processes(o.server_pids);

    loader threads(ctx.threads);
    threads.start();
    subscriber_group group(ctx, threads);
    std::vector<subscription_spec> specs;
    for (int i = 0; i < total; ++i) {
        subscription_spec s;
        s.target = path + "/connect?after=0";
        s.cookie = world.users[static_cast<std::size_t>(1 + i)].cookie;
        s.instance = static_cast<std::size_t>(i) % ctx.instances.size();
        specs.push_back(std::move(s));
    }
    const auto t0 = now_ns();
    const std::size_t connected = group.connect_all(specs, 300);
    const double connect_s = static_cast<double>(now_ns() - t0) / 1e9;
    std::fprintf(stderr, "eelbench: connections: %zu connected in %.1f s\n", connected, connect_s);
    r.add_rate("connects_per_s", static_cast<double>(connected) / connect_s, "connections opened/s", "/s");
    if (connected < specs.size()) {
        r.failures.push_back(std::to_string(specs.size() - connected) +
                             " websockets could not connect: " + group.first_error());
        group.close_all();
        threads.stop();
        drop_world(db, world);
        return r;
    }
    // Idle: nothing is sent; the window shows what the server spends keeping sockets open.
    auto w = measure_window(threads, o.server_pids, 1.0, o.duration);
    r.add("load_average_1m", w.load_average, "machine load average (1 min)",
          std::to_string(w.load_average).substr(0, 4));
    const auto after = sample_processes(o.server_pids);
    if (before && after) {
        const double per =
            (static_cast<double>(after->rss_bytes) - static_cast<double>(before->rss_bytes)) / total;
        r.add("server_rss_before_bytes", before->rss_bytes, "server memory before",
              thousands(static_cast<double>(before->rss_bytes) / 1024) + " KiB");
        r.add("server_rss_after_bytes", after->rss_bytes, "server memory with the connections",
              thousands(static_cast<double>(after->rss_bytes) / 1024) + " KiB");
        r.add("server_rss_per_connection_bytes", per, "server memory per connection", thousands(per) + " B");
    }
    if (auto cores = w.server_cores()) {
        char buf[48];
        std::snprintf(buf, sizeof buf, "%.3f%% of a core", *cores * 100);
        r.add("server_idle_cpu_cores", *cores, "server CPU while idle", buf);
    }

    // Every idle socket must still deliver.
    poster p(threads.context(0).get_executor(), ctx.spec_for(0), world.users[0], o.message_size);
    threads.recording.store(true);
    std::uint64_t post_errors = 0;
    for (int k = 0; k < check_messages; ++k) {
        auto status = asio::co_spawn(threads.context(0), post_one(p, path, static_cast<std::uint64_t>(k)),
                                     asio::use_future)
                          .get();
        if (status != 200) ++post_errors;
    }
    const std::int64_t final_seq = last_seqs(db, world.channel_ids)[0];
    const std::uint64_t expected = static_cast<std::uint64_t>(final_seq) * static_cast<std::uint64_t>(total);
    wait_until([&] { return threads.total_deliveries() >= expected || group.dropped() > 0; }, 60);
    threads.recording.store(false);
    group.close_all();
    threads.stop();
    delivery_counts counts;
    for (std::size_t i = 0; i < group.size(); ++i)
        counts.add(group.at(i).tracker().finish(final_seq));
    r.add_latency("latency", threads.merged_latency(),
                  "post-to-delivery latency (" + std::to_string(check_messages) + " messages to all)");
    r.add_deliveries(counts, expected);
    r.add_errors("post_errors", post_errors, "posts refused or failed (" + p.last_error() + ")");
    r.add_errors("subscribers_dropped", group.dropped(),
                 "connections closed by the server (" + group.first_error() + ")");
    drop_world(db, world);
    return r;
}

} // namespace eelbench
