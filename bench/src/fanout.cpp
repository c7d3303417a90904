// fanout: S subscribers in one channel, one poster (one member over `in_flight` HTTP connections) keeping
// `in_flight` messages posted but not yet delivered to everyone (each of its in-flight slots posts the next
// message once the previous one reached every subscriber). Deliveries per second over the window,
// post-to-delivery latency.
#include "completion.hpp"
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
#include <cstdio>

namespace eelbench {

namespace asio = boost::asio;

namespace {

constexpr std::size_t ring = 65536; // > in_flight: a slot is reused only after its post completed

struct log_failure {
    void operator()(std::exception_ptr e) const {
        if (e) std::fprintf(stderr, "eelbench: poster failed: %s\n", eelchat::exception_message(e).c_str());
    }
};

// Lives on loader thread 0 (the posters' thread); `completed` is posted there by the receiving threads.
struct fanout_posting {
    explicit fanout_posting(asio::any_io_executor ex) : wake(ex), complete(ring, 0) {}
    async_signal wake;
    std::vector<char> complete;
    std::uint64_t next = 0;
    std::atomic<bool> stop{false};
    std::atomic<int> running{0};
    std::atomic<std::uint64_t> ok{0};
    std::atomic<std::uint64_t> errors{0};
    std::atomic<std::uint64_t> stalled{0};
    std::string last_error;
};

asio::awaitable<void> post_loop(fanout_posting& st, poster& p, std::string path) {
    asio::steady_timer backoff(co_await asio::this_coro::executor);
    while (!st.stop.load()) {
        const std::uint64_t k = st.next++;
        st.complete[k % ring] = 0;
        const unsigned status = co_await p.post(path, 0, k, now_ns());
        if (status != 200) {
            st.errors.fetch_add(1);
            st.last_error = p.last_error();
            backoff.expires_after(std::chrono::milliseconds(100));
            co_await backoff.async_wait(asio::use_awaitable);
            continue;
        }
        st.ok.fetch_add(1);
        // Wait until every subscriber has it (bounded: a lost delivery must not hang the run).
        const auto deadline = now_ns() + 10'000'000'000;
        while (!st.complete[k % ring] && now_ns() < deadline)
            co_await st.wake.wait(std::chrono::milliseconds(100));
        if (!st.complete[k % ring]) st.stalled.fetch_add(1);
    }
    st.running.fetch_sub(1);
}

} // namespace

report run_fanout(bench_context& ctx, bench_db& db, const std::string& name, int subscribers) {
    const options& o = ctx.opts;
    const int in_flight = o.in_flight;
    report r;
    r.scenario = name;
    r.parameters["subscribers"] = subscribers;
    r.parameters["in_flight"] = in_flight;
    add_load_parameters(r, ctx);

    std::fprintf(stderr, "eelbench: %s: setting up %d subscribers\n", name.c_str(), subscribers);
    bench_world world = create_world(db, random_tag(), subscribers + 1, 1);
    const std::string path = world.channel_path(0);

    loader threads(ctx.threads);
    threads.start();
    subscriber_group group(ctx, threads);
    std::vector<subscription_spec> specs;
    for (int i = 0; i < subscribers; ++i) {
        subscription_spec s;
        s.target = path + "/connect?after=0";
        s.cookie = world.users[static_cast<std::size_t>(1 + i)].cookie;
        s.instance = static_cast<std::size_t>(i) % ctx.instances.size();
        specs.push_back(std::move(s));
    }
    const auto connect_start = now_ns();
    const std::size_t connected = group.connect_all(specs, 180);
    const double connect_s = static_cast<double>(now_ns() - connect_start) / 1e9;
    std::fprintf(stderr, "eelbench: %s: %zu subscribers connected in %.1f s\n", name.c_str(), connected,
                 connect_s);
    r.add("connect_seconds", connect_s, "time to connect subscribers",
          std::to_string(connect_s).substr(0, 5) + " s");
    if (connected < static_cast<std::size_t>(subscribers)) {
        r.failures.push_back(std::to_string(subscribers - static_cast<int>(connected)) +
                             " subscribers could not connect: " + group.first_error());
        group.close_all();
        threads.stop();
        drop_world(db, world);
        return r;
    }

    // Flow control: a post is complete when every thread has delivered it to all of its subscribers.
    std::vector<std::size_t> subs_on(threads.size());
    for (unsigned t = 0; t < threads.size(); ++t)
        subs_on[t] = group.count_on(t, 0);
    completion_counter completion(subs_on);
    fanout_posting st(threads.context(0).get_executor());
    group.on_delivered = [&](unsigned t, std::uint64_t post) {
        if (!completion.delivered(t, post)) return;
        asio::post(threads.context(0), [&st, post] {
            st.complete[post % ring] = 1;
            st.wake.notify_all();
        });
    };

    std::vector<std::unique_ptr<poster>> posters;
    for (int i = 0; i < in_flight; ++i) {
        posters.push_back(std::make_unique<poster>(threads.context(0).get_executor(),
                                                   ctx.spec_for(static_cast<std::size_t>(i)), world.users[0],
                                                   o.message_size));
        st.running.fetch_add(1);
        asio::co_spawn(threads.context(0), post_loop(st, *posters.back(), path), log_failure{});
    }

    std::uint64_t ok_at_open = 0, ok_at_close = 0;
    auto w = measure_window(
        threads, o.server_pids, o.warmup, o.duration, [&] { ok_at_open = st.ok.load(); },
        [&] { ok_at_close = st.ok.load(); });
    st.stop.store(true);
    asio::post(threads.context(0), [&st] { st.wake.notify_all(); });
    wait_until([&] { return st.running.load() == 0; }, 20);

    const std::int64_t final_seq = last_seqs(db, world.channel_ids)[0];
    const std::uint64_t expected =
        static_cast<std::uint64_t>(final_seq) * static_cast<std::uint64_t>(subscribers);
    wait_until([&] { return threads.total_deliveries() >= expected || group.dropped() > 0; }, 20);
    group.close_all();
    threads.stop();

    const delivery_counts counts = group.finish(final_seq);
    const double deliveries = static_cast<double>(threads.window_deliveries());
    r.add_rate("deliveries_per_s", deliveries / w.seconds, "deliveries/s", "deliveries/s");
    r.add_rate("messages_per_s", static_cast<double>(ok_at_close - ok_at_open) / w.seconds,
               "messages posted/s", "messages/s");
    r.add_latency("latency", threads.merged_latency(), "post-to-delivery latency");
    add_server_cpu(r, w, deliveries, "delivery");
    // The loopback baselines are measured with --subscribers: a ratio only for the scenario they match.
    if (name == "fanout" && ctx.base.loopback_batched_per_s)
        r.add_ratio("ratio_to_loopback_batched", deliveries / w.seconds, *ctx.base.loopback_batched_per_s,
                    "ratio to loopback websocket (batched writes)");
    if (name == "fanout" && ctx.base.loopback_single_per_s)
        r.add_ratio("ratio_to_loopback_single", deliveries / w.seconds, *ctx.base.loopback_single_per_s,
                    "ratio to loopback websocket (one write per frame)");
    r.add_deliveries(counts, expected);
    r.add_errors("post_errors", st.errors.load(),
                 "posts refused or failed" + (st.last_error.empty() ? "" : " (" + st.last_error + ")"));
    r.add_errors("posts_never_fully_delivered", st.stalled.load(),
                 "posts not delivered to everyone within 10 s");
    r.add_errors("subscribers_dropped", group.dropped(),
                 "subscribers closed by the server (" + group.first_error() + ")");
    drop_world(db, world);
    return r;
}

} // namespace eelbench
