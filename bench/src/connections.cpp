// connections: N idle websockets per instance, all members of one channel. The server's resident memory
// is read before and after connecting (per connection: the difference over N), its CPU over an idle
// window; then a few messages check that every idle socket still delivers, once and in order. More
// sockets than one process may open are spread over helper processes (connection_shards.hpp).
#include "connection_shards.hpp"
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
// Open files a process keeps for itself (database, poster, pipes, stdio) beside its websockets.
constexpr std::uint64_t reserved_files = 300;

asio::awaitable<unsigned> post_one(poster& p, std::string path, std::uint64_t k) {
    co_return co_await p.post(path, 0, k, now_ns());
}

} // namespace

report run_connections(bench_context& ctx, bench_db& db) {
    const options& o = ctx.opts;
    const std::size_t total = static_cast<std::size_t>(o.connections) * ctx.instances.size();
    report r;
    r.scenario = "connections";
    r.parameters["connections_per_instance"] = o.connections;
    r.parameters["instances"] = ctx.instances.size();
    r.parameters["loader_threads"] = ctx.threads;
    r.parameters["idle_s"] = o.duration;

    const std::uint64_t limit = raise_open_file_limit();
    if (limit <= reserved_files + 100) {
        r.failures.push_back("the open-file limit (" + std::to_string(limit) + ") is too low");
        return r;
    }
    const std::size_t per_process = static_cast<std::size_t>(limit - reserved_files);
    const std::size_t own = std::min(total, per_process);
    r.parameters["loader_processes"] = (total + per_process - 1) / per_process;
    std::fprintf(stderr, "eelbench: connections: %zu idle websockets in %zu process(es)\n", total,
                 (total + per_process - 1) / per_process);
    bench_world world = create_world(db, random_tag(), static_cast<int>(total) + 1, 1);
    const std::string path = world.channel_path(0);
    const auto before = sample_processes(o.server_pids);

    loader threads(ctx.threads);
    threads.start();
    subscriber_group group(ctx, threads);
    // Helpers first: they connect while this process connects its own share.
    std::vector<std::unique_ptr<shard_process>> shards;
    std::vector<target_url> urls;
    for (const auto& i : ctx.instances)
        urls.push_back(i.url);
    for (std::size_t first = own; first < total; first += per_process)
        shards.push_back(std::make_unique<shard_process>(urls, path, world.tag, first,
                                                         std::min(per_process, total - first), ctx.threads));
    std::vector<subscription_spec> specs;
    for (std::size_t i = 0; i < own; ++i) {
        subscription_spec s;
        s.target = path + "/connect?after=0";
        s.cookie = connection_cookie(world.tag, i);
        s.instance = i % ctx.instances.size();
        specs.push_back(std::move(s));
    }
    const auto t0 = now_ns();
    std::uint64_t connected = group.connect_all(specs, 300);
    std::uint64_t failed = group.failed();
    for (auto& sh : shards) {
        std::uint64_t ok = 0, bad = 0;
        if (!sh->wait_connected(ok, bad)) {
            r.failures.push_back("a connections helper process failed");
            continue;
        }
        connected += ok;
        failed += bad;
    }
    const double connect_s = static_cast<double>(now_ns() - t0) / 1e9;
    std::fprintf(stderr, "eelbench: connections: %llu connected in %.1f s\n",
                 static_cast<unsigned long long>(connected), connect_s);
    r.add_rate("connects_per_s", static_cast<double>(connected) / connect_s, "connections opened/s", "/s");
    if (connected < total || !r.failures.empty()) {
        r.failures.push_back(std::to_string(total - connected) +
                             " websockets could not connect: " + group.first_error());
        group.close_all();
        threads.stop();
        shards.clear();
        drop_world(db, world);
        return r;
    }
    // Idle: nothing is sent; the window shows what the server spends keeping sockets open.
    auto w = measure_window(threads, o.server_pids, 1.0, o.duration);
    r.add("load_average_1m", w.load_average, "machine load average (1 min)",
          std::to_string(w.load_average).substr(0, 4));
    const auto after = sample_processes(o.server_pids);
    if (before && after) {
        const double per = (static_cast<double>(after->rss_bytes) - static_cast<double>(before->rss_bytes)) /
                           static_cast<double>(total);
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
    const std::uint64_t own_expected = static_cast<std::uint64_t>(final_seq) * own;
    wait_until([&] { return threads.total_deliveries() >= own_expected || group.dropped() > 0; }, 60);
    threads.recording.store(false);
    group.close_all();
    threads.stop();
    delivery_counts counts = group.finish(final_seq);
    std::uint64_t dropped = group.dropped();
    for (auto& sh : shards) {
        delivery_counts c;
        std::uint64_t d = 0;
        if (!sh->finish(final_seq, c, d)) {
            r.failures.push_back("a connections helper process did not report its deliveries");
            continue;
        }
        counts.add(c);
        dropped += d;
    }
    shards.clear();
    r.add_latency("latency", threads.merged_latency(),
                  "post-to-delivery latency (" + std::to_string(check_messages) + " messages" +
                      (own < total ? ", this process's " + std::to_string(own) + " sockets)" : " to all)"));
    r.add_deliveries(counts, expected);
    r.add_errors("post_errors", post_errors, "posts refused or failed (" + p.last_error() + ")");
    r.add_errors("subscribers_dropped", dropped,
                 "connections closed by the server (" + group.first_error() + ")");
    drop_world(db, world);
    return r;
}

} // namespace eelbench
