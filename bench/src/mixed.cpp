// mixed: many channels whose sizes and posting rates both follow a Zipf law (channel i of M gets a
// share proportional to 1/(i+1)^s of the subscribers and of the posts), at a fixed offered load: posts
// are scheduled as a Poisson process of `rate` per second, whatever the server's speed. Latency counts
// from the scheduled time, so a server that falls behind shows it (no coordinated omission).
#include "frames.hpp"
#include "measure.hpp"
#include "posting.hpp"
#include "scenario.hpp"
#include "signal.hpp"
#include "subscriber_group.hpp"

#include "core/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <deque>
#include <random>

namespace eelbench {

namespace asio = boost::asio;

namespace {

constexpr int poster_connections = 32;
constexpr std::size_t max_backlog = 100000;

struct log_failure {
    void operator()(std::exception_ptr e) const {
        if (e)
            std::fprintf(stderr, "eelbench: mixed poster failed: %s\n",
                         eelchat::exception_message(e).c_str());
    }
};

struct job {
    std::uint32_t channel;
    std::uint64_t post;
    std::int64_t intended_ns;
};

// Lives on loader thread 0: the schedule, the backlog and the posting connections.
struct mixed_state {
    explicit mixed_state(asio::any_io_executor ex) : work(ex) {}
    async_signal work;
    std::deque<job> backlog;
    std::vector<std::string> paths;
    std::atomic<bool> stop{false};
    std::atomic<int> running{0};
    std::atomic<std::uint64_t> ok{0};
    std::atomic<std::uint64_t> scheduled{0};
    std::uint64_t errors = 0;
    std::uint64_t dropped = 0; // scheduled while the backlog was full
    std::size_t max_seen_backlog = 0;
    std::string last_error;
};

asio::awaitable<void> schedule(mixed_state& st, std::vector<double> cumulative, double rate,
                               std::uint32_t seed) {
    std::mt19937_64 rng(seed);
    std::exponential_distribution<double> gap(rate);
    std::uniform_real_distribution<double> pick(0.0, cumulative.back());
    asio::steady_timer timer(co_await asio::this_coro::executor);
    std::int64_t next = now_ns();
    std::uint64_t k = 0;
    while (!st.stop.load()) {
        next += static_cast<std::int64_t>(gap(rng) * 1e9);
        const auto wait = next - now_ns();
        if (wait > 0) {
            timer.expires_after(std::chrono::nanoseconds(wait));
            co_await timer.async_wait(asio::use_awaitable);
        }
        const auto c = static_cast<std::uint32_t>(
            std::upper_bound(cumulative.begin(), cumulative.end(), pick(rng)) - cumulative.begin());
        st.scheduled.fetch_add(1);
        if (st.backlog.size() >= max_backlog) {
            ++st.dropped;
            continue;
        }
        st.backlog.push_back(
            job{std::min<std::uint32_t>(c, static_cast<std::uint32_t>(cumulative.size() - 1)), k++, next});
        st.max_seen_backlog = std::max(st.max_seen_backlog, st.backlog.size());
        st.work.notify_all();
    }
    st.running.fetch_sub(1);
}

asio::awaitable<void> post_jobs(mixed_state& st, poster& p) {
    while (!st.stop.load()) {
        if (st.backlog.empty()) {
            co_await st.work.wait(std::chrono::milliseconds(100));
            continue;
        }
        const job j = st.backlog.front();
        st.backlog.pop_front();
        const unsigned status = co_await p.post(st.paths[j.channel], j.channel, j.post, j.intended_ns);
        if (status == 200) {
            st.ok.fetch_add(1);
        } else {
            ++st.errors;
            st.last_error = p.last_error();
        }
    }
    st.running.fetch_sub(1);
}

} // namespace

report run_mixed(bench_context& ctx, bench_db& db) {
    const options& o = ctx.opts;
    const int channels = std::max(32, o.channels * 8);
    const int subscribers = std::max(o.mixed_subscribers, channels);
    report r;
    r.scenario = "mixed";
    r.parameters["channels"] = channels;
    r.parameters["subscribers"] = subscribers;
    r.parameters["zipf_exponent"] = o.zipf;
    r.parameters["offered_posts_per_s"] = o.rate;
    add_load_parameters(r, ctx);

    // Zipf weights; every channel has at least one subscriber.
    std::vector<double> weight(static_cast<std::size_t>(channels));
    double sum = 0;
    for (int i = 0; i < channels; ++i)
        sum += weight[static_cast<std::size_t>(i)] = 1.0 / std::pow(i + 1, o.zipf);
    std::vector<int> size(static_cast<std::size_t>(channels));
    int assigned = 0;
    for (int i = 0; i < channels; ++i) {
        size[static_cast<std::size_t>(i)] = std::max(
            1, static_cast<int>(std::lround(subscribers * weight[static_cast<std::size_t>(i)] / sum)));
        assigned += size[static_cast<std::size_t>(i)];
    }
    std::vector<double> cumulative;
    double acc = 0;
    double offered_deliveries = 0;
    for (int i = 0; i < channels; ++i) {
        acc += weight[static_cast<std::size_t>(i)];
        cumulative.push_back(acc);
        offered_deliveries +=
            o.rate * weight[static_cast<std::size_t>(i)] / sum * size[static_cast<std::size_t>(i)];
    }
    r.parameters["largest_channel_subscribers"] = size[0];
    r.parameters["offered_deliveries_per_s"] = offered_deliveries;

    std::fprintf(stderr, "eelbench: mixed: %d channels, %d subscribers, %.0f posts/s offered\n", channels,
                 assigned, o.rate);
    bench_world world = create_world(db, random_tag(), poster_connections + assigned, channels);
    loader threads(ctx.threads);
    threads.start();
    subscriber_group group(ctx, threads);
    std::vector<subscription_spec> specs;
    std::vector<std::uint64_t> subs_of(static_cast<std::size_t>(channels), 0);
    for (int c = 0; c < channels; ++c) {
        for (int j = 0; j < size[static_cast<std::size_t>(c)]; ++j) {
            subscription_spec s;
            s.target = world.channel_path(static_cast<std::size_t>(c)) + "/connect?after=0";
            s.cookie = world.users[static_cast<std::size_t>(poster_connections) + specs.size()].cookie;
            s.channel = static_cast<std::uint32_t>(c);
            s.instance = specs.size() % ctx.instances.size();
            specs.push_back(std::move(s));
            ++subs_of[static_cast<std::size_t>(c)];
        }
    }
    if (group.connect_all(specs, 180) < specs.size()) {
        r.failures.push_back("subscribers could not connect: " + group.first_error());
        group.close_all();
        threads.stop();
        drop_world(db, world);
        return r;
    }

    mixed_state st(threads.context(0).get_executor());
    for (int c = 0; c < channels; ++c)
        st.paths.push_back(world.channel_path(static_cast<std::size_t>(c)));
    std::vector<std::unique_ptr<poster>> posters;
    for (int i = 0; i < poster_connections; ++i) {
        posters.push_back(std::make_unique<poster>(threads.context(0).get_executor(),
                                                   ctx.spec_for(static_cast<std::size_t>(i)),
                                                   world.users[static_cast<std::size_t>(i)], o.message_size));
        st.running.fetch_add(1);
        asio::co_spawn(threads.context(0), post_jobs(st, *posters.back()), log_failure{});
    }
    st.running.fetch_add(1);
    asio::co_spawn(threads.context(0), schedule(st, cumulative, o.rate, 7), log_failure{});

    std::uint64_t ok_open = 0, ok_close = 0;
    auto w = measure_window(
        threads, o.server_pids, o.warmup, o.duration, [&] { ok_open = st.ok.load(); },
        [&] { ok_close = st.ok.load(); });
    st.stop.store(true);
    asio::post(threads.context(0), [&st] { st.work.notify_all(); });
    wait_until([&] { return st.running.load() == 0; }, 40);

    const auto finals = last_seqs(db, world.channel_ids);
    std::uint64_t expected = 0;
    for (int c = 0; c < channels; ++c)
        expected += static_cast<std::uint64_t>(finals[static_cast<std::size_t>(c)]) *
                    subs_of[static_cast<std::size_t>(c)];
    wait_until([&] { return threads.total_deliveries() >= expected || group.dropped() > 0; }, 20);
    group.close_all();
    threads.stop();

    const delivery_counts counts = group.finish(finals);
    const double deliveries = static_cast<double>(threads.window_deliveries());
    r.add_rate("posts_per_s", static_cast<double>(ok_close - ok_open) / w.seconds, "posts answered/s",
               "posts/s");
    r.add_rate("deliveries_per_s", deliveries / w.seconds, "deliveries/s", "deliveries/s");
    r.add_latency("latency", threads.merged_latency(), "scheduled-post-to-delivery latency");
    add_server_cpu(r, w, deliveries, "delivery");
    r.add("max_backlog", st.max_seen_backlog, "most posts waiting for a connection",
          thousands(static_cast<double>(st.max_seen_backlog)));
    r.add_deliveries(counts, expected);
    // Not a delivery error: the offered load was more than the server (or the 32 connections) could take.
    r.add("posts_not_sent", st.dropped, "scheduled posts dropped (backlog full)",
          thousands(static_cast<double>(st.dropped)));
    r.add_errors("post_errors", st.errors,
                 "posts refused or failed" + (st.last_error.empty() ? "" : " (" + st.last_error + ")"));
    r.add_errors("subscribers_dropped", group.dropped(),
                 "subscribers closed by the server (" + group.first_error() + ")");
    drop_world(db, world);
    return r;
}

} // namespace eelbench
