// ingest: P posters over C channels, each channel with a few subscribers. Every poster posts its next
// message as soon as the previous one was answered (closed loop), so the figure is the rate at which the
// server commits messages at that concurrency; the subscribers check that each one was delivered.
#include "frames.hpp"
#include "measure.hpp"
#include "posting.hpp"
#include "scenario.hpp"
#include "subscriber_group.hpp"

#include "core/log.hpp"

#include <boost/asio/co_spawn.hpp>

#include <atomic>
#include <cstdio>

namespace eelbench {

namespace asio = boost::asio;

namespace {

struct log_failure {
    void operator()(std::exception_ptr e) const {
        if (e) std::fprintf(stderr, "eelbench: poster failed: %s\n", eelchat::exception_message(e).c_str());
    }
};

struct ingest_poster {
    std::unique_ptr<poster> client;
    std::string path;
    std::uint32_t channel = 0;
    histogram request_us; // POST round trip: the commit latency as a browser sees it
    std::atomic<std::uint64_t> ok{0};
    std::atomic<std::uint64_t> errors{0};
    std::string last_error;
};

struct ingest_shared {
    std::atomic<bool> stop{false};
    std::atomic<bool> recording{false};
    std::atomic<std::uint64_t> next{0};
    std::atomic<int> running{0};
};

asio::awaitable<void> ingest_loop(ingest_shared& sh, ingest_poster& p) {
    asio::steady_timer backoff(co_await asio::this_coro::executor);
    while (!sh.stop.load()) {
        const std::uint64_t k = sh.next.fetch_add(1);
        const auto t0 = now_ns();
        const unsigned status = co_await p.client->post(p.path, p.channel, k, t0);
        if (status != 200) {
            p.errors.fetch_add(1);
            p.last_error = p.client->last_error();
            backoff.expires_after(std::chrono::milliseconds(100));
            co_await backoff.async_wait(asio::use_awaitable);
            continue;
        }
        p.ok.fetch_add(1, std::memory_order_relaxed);
        if (sh.recording.load(std::memory_order_relaxed))
            p.request_us.record(static_cast<std::uint64_t>((now_ns() - t0) / 1000));
    }
    sh.running.fetch_sub(1);
}

} // namespace

report run_ingest(bench_context& ctx, bench_db& db) {
    const options& o = ctx.opts;
    const int posters = o.posters;
    const int channels = o.channels;
    const int per_channel = o.channel_subscribers;
    report r;
    r.scenario = "ingest";
    r.parameters["posters"] = posters;
    r.parameters["channels"] = channels;
    r.parameters["subscribers_per_channel"] = per_channel;
    add_load_parameters(r, ctx);

    std::fprintf(stderr, "eelbench: ingest: %d posters over %d channels\n", posters, channels);
    bench_world world = create_world(db, random_tag(), posters + channels * per_channel, channels);
    loader threads(ctx.threads);
    threads.start();
    subscriber_group group(ctx, threads);
    std::vector<subscription_spec> specs;
    for (int c = 0; c < channels; ++c) {
        for (int j = 0; j < per_channel; ++j) {
            subscription_spec s;
            s.target = world.channel_path(static_cast<std::size_t>(c)) + "/connect?after=0";
            s.cookie = world.users[static_cast<std::size_t>(posters + c * per_channel + j)].cookie;
            s.channel = static_cast<std::uint32_t>(c);
            s.instance = specs.size() % ctx.instances.size();
            specs.push_back(std::move(s));
        }
    }
    if (group.connect_all(specs, 120) < specs.size()) {
        r.failures.push_back("subscribers could not connect: " + group.first_error());
        group.close_all();
        threads.stop();
        drop_world(db, world);
        return r;
    }

    ingest_shared sh;
    std::vector<std::unique_ptr<ingest_poster>> ps;
    for (int i = 0; i < posters; ++i) {
        auto p = std::make_unique<ingest_poster>();
        const unsigned t = static_cast<unsigned>(i) % threads.size();
        p->channel = static_cast<std::uint32_t>(i % channels);
        p->path = world.channel_path(p->channel);
        p->client = std::make_unique<poster>(threads.context(t).get_executor(),
                                             ctx.spec_for(static_cast<std::size_t>(i)),
                                             world.users[static_cast<std::size_t>(i)], o.message_size);
        sh.running.fetch_add(1);
        asio::co_spawn(threads.context(t), ingest_loop(sh, *p), log_failure{});
        ps.push_back(std::move(p));
    }
    auto acked = [&] {
        std::uint64_t n = 0;
        for (const auto& p : ps)
            n += p->ok.load(std::memory_order_relaxed);
        return n;
    };
    std::uint64_t at_open = 0, at_close = 0;
    auto w = measure_window(
        threads, o.server_pids, o.warmup, o.duration,
        [&] {
            sh.recording.store(true);
            at_open = acked();
        },
        [&] {
            at_close = acked();
            sh.recording.store(false);
        });
    sh.stop.store(true);
    wait_until([&] { return sh.running.load() == 0; }, 40);

    const auto finals = last_seqs(db, world.channel_ids);
    std::uint64_t committed = 0;
    for (auto f : finals)
        committed += static_cast<std::uint64_t>(f);
    const std::uint64_t expected = committed * static_cast<std::uint64_t>(per_channel);
    wait_until([&] { return threads.total_deliveries() >= expected || group.dropped() > 0; }, 20);
    group.close_all();
    threads.stop();

    const delivery_counts counts = group.finish(finals);
    histogram request;
    std::uint64_t errors = 0;
    std::string last_error;
    for (const auto& p : ps) {
        request.merge(p->request_us);
        errors += p->errors.load();
        if (!p->last_error.empty()) last_error = p->last_error;
    }
    const double commit_rate = static_cast<double>(at_close - at_open) / w.seconds;
    const double deliveries = static_cast<double>(threads.window_deliveries());
    r.add_rate("messages_committed_per_s", commit_rate, "messages committed/s", "messages/s");
    if (per_channel > 0)
        r.add_rate("messages_delivered_per_s", deliveries / per_channel / w.seconds, "messages delivered/s",
                   "messages/s (to every subscriber)");
    r.add_rate("deliveries_per_s", deliveries / w.seconds, "deliveries/s", "deliveries/s");
    r.add_latency("post_latency", request, "POST latency (commit)");
    r.add_latency("latency", threads.merged_latency(), "post-to-delivery latency");
    add_server_cpu(r, w, commit_rate * w.seconds, "message");
    if (ctx.base.pg_notify_inserts_per_s)
        r.add_ratio("ratio_to_notify_insert", commit_rate, *ctx.base.pg_notify_inserts_per_s,
                    "ratio to INSERT + NOTIFY rate");
    if (ctx.base.pg_inserts_per_s)
        r.add_ratio("ratio_to_raw_insert", commit_rate, *ctx.base.pg_inserts_per_s,
                    "ratio to raw INSERT rate");
    r.add_deliveries(counts, expected);
    const std::uint64_t acknowledged = acked();
    r.results["messages_acknowledged"] = acknowledged;
    r.results["messages_committed"] = committed;
    if (acknowledged != committed)
        r.failures.push_back(std::to_string(acknowledged) + " posts acknowledged but " +
                             std::to_string(committed) + " committed");
    r.add_errors("post_errors", errors,
                 "posts refused or failed" + (last_error.empty() ? "" : " (" + last_error + ")"));
    r.add_errors("subscribers_dropped", group.dropped(),
                 "subscribers closed by the server (" + group.first_error() + ")");
    drop_world(db, world);
    return r;
}

} // namespace eelbench
