// history: members page back through a channel of a million messages (the "older messages" fragment,
// 50 per page, at a random point), `concurrency` requests in flight. Requests per second and latency;
// each page is checked to hold exactly the 50 messages before its cursor.
#include "frames.hpp"
#include "measure.hpp"
#include "posting.hpp"
#include "scenario.hpp"

#include "core/log.hpp"

#include <boost/asio/co_spawn.hpp>

#include <atomic>
#include <cstdio>
#include <random>

namespace eelbench {

namespace asio = boost::asio;

namespace {

constexpr int page = 50;

struct log_failure {
    void operator()(std::exception_ptr e) const {
        if (e) std::fprintf(stderr, "eelbench: reader failed: %s\n", eelchat::exception_message(e).c_str());
    }
};

struct reader {
    std::unique_ptr<poster> client;
    histogram request_us;
    std::atomic<std::uint64_t> ok{0};
    std::uint64_t errors = 0;
    std::uint64_t wrong = 0;
    std::string last_error;
};

struct history_shared {
    std::string path;
    std::int64_t messages = 0;
    std::atomic<bool> stop{false};
    std::atomic<bool> recording{false};
    std::atomic<int> running{0};
};

// The page before `before` holds seqs before-50 .. before-1, in order, and nothing else. One pass over
// the page: each message's number is read where its data-seq attribute is.
bool page_is_right(std::string_view body, std::int64_t before) {
    std::int64_t expect = std::max<std::int64_t>(1, before - page);
    std::size_t pos = 0;
    int seen = 0;
    while (auto seq = read_seq_attr(body, pos)) {
        if (*seq != expect) return false;
        ++expect;
        ++seen;
    }
    return expect == before && seen > 0;
}

asio::awaitable<void> read_loop(history_shared& sh, reader& r, std::uint32_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::int64_t> cursor(page + 1, sh.messages);
    std::string body;
    asio::steady_timer backoff(co_await asio::this_coro::executor);
    while (!sh.stop.load()) {
        const std::int64_t before = cursor(rng);
        const std::string target = sh.path + "/messages?before=" + std::to_string(before);
        const auto t0 = now_ns();
        const unsigned status = co_await r.client->get(target, body);
        if (status != 200) {
            ++r.errors;
            r.last_error = r.client->last_error();
            backoff.expires_after(std::chrono::milliseconds(50));
            co_await backoff.async_wait(asio::use_awaitable);
            continue;
        }
        if (!page_is_right(body, before)) ++r.wrong;
        r.ok.fetch_add(1, std::memory_order_relaxed);
        if (sh.recording.load(std::memory_order_relaxed))
            r.request_us.record(static_cast<std::uint64_t>((now_ns() - t0) / 1000));
    }
    sh.running.fetch_sub(1);
}

} // namespace

report run_history(bench_context& ctx, bench_db& db) {
    const options& o = ctx.opts;
    report r;
    r.scenario = "history";
    r.parameters["messages_in_channel"] = o.history_messages;
    r.parameters["concurrency"] = o.concurrency;
    r.parameters["page_size"] = page;
    r.parameters["instances"] = ctx.instances.size();
    r.parameters["warmup_s"] = o.warmup;
    r.parameters["duration_s"] = o.duration;

    std::fprintf(stderr, "eelbench: history: preparing a channel of %lld messages\n",
                 static_cast<long long>(o.history_messages));
    const auto t0 = now_ns();
    history_channel h = ensure_history_channel(db, o.history_messages);
    if (h.created)
        std::fprintf(stderr, "eelbench: history: created in %.1f s (reused by later runs)\n",
                     static_cast<double>(now_ns() - t0) / 1e9);
    h.world.tag = random_tag();
    add_members(db, h.world, o.concurrency);

    loader threads(ctx.threads);
    threads.start();
    history_shared sh;
    sh.path = h.world.channel_path(0);
    sh.messages = o.history_messages;
    std::vector<std::unique_ptr<reader>> readers;
    for (int i = 0; i < o.concurrency; ++i) {
        auto rd = std::make_unique<reader>();
        const unsigned t = static_cast<unsigned>(i) % threads.size();
        rd->client = std::make_unique<poster>(threads.context(t).get_executor(),
                                              ctx.spec_for(static_cast<std::size_t>(i)),
                                              h.world.users[static_cast<std::size_t>(i)], o.message_size);
        sh.running.fetch_add(1);
        asio::co_spawn(threads.context(t), read_loop(sh, *rd, static_cast<std::uint32_t>(i + 1)),
                       log_failure{});
        readers.push_back(std::move(rd));
    }
    auto done = [&] {
        std::uint64_t n = 0;
        for (const auto& rd : readers)
            n += rd->ok.load(std::memory_order_relaxed);
        return n;
    };
    std::uint64_t at_open = 0, at_close = 0;
    auto w = measure_window(
        threads, o.server_pids, o.warmup, o.duration,
        [&] {
            sh.recording.store(true);
            at_open = done();
        },
        [&] {
            at_close = done();
            sh.recording.store(false);
        });
    sh.stop.store(true);
    wait_until([&] { return sh.running.load() == 0; }, 40);
    threads.stop();

    histogram all;
    std::uint64_t errors = 0, wrong = 0;
    std::string last_error;
    for (const auto& rd : readers) {
        all.merge(rd->request_us);
        errors += rd->errors;
        wrong += rd->wrong;
        if (!rd->last_error.empty()) last_error = rd->last_error;
    }
    const double rate = static_cast<double>(at_close - at_open) / w.seconds;
    r.add_rate("requests_per_s", rate, "pages/s", "requests/s");
    r.add_latency("latency", all, "request latency");
    add_server_cpu(r, w, rate * w.seconds, "request");
    r.results["pages_checked"] = done();
    r.rows.emplace_back("pages checked", thousands(static_cast<double>(done())));
    r.add_errors("wrong_pages", wrong, "pages without exactly the 50 messages before the cursor");
    r.add_errors("request_errors", errors,
                 "requests refused or failed" + (last_error.empty() ? "" : " (" + last_error + ")"));
    db.exec("DELETE FROM memberships WHERE user_id IN (SELECT id FROM users WHERE email LIKE $1)",
            {"eb-" + h.world.tag + "-%@bench.invalid"});
    db.exec("DELETE FROM users WHERE email LIKE $1", {"eb-" + h.world.tag + "-%@bench.invalid"});
    return r;
}

} // namespace eelbench
