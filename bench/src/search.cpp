// search: members search the million-message history channel as the search box asks (htmx, the results
// panel), `concurrency` requests in flight, over a mix of queries: common words (every message has
// them), rare words (one message each), prefixes of words being typed (a common one, and five-digit
// numbers that match about eleven messages), and from:/in: filters. Requests per second and latency;
// each answer is checked to hold the number of results its query must find.
#include "frames.hpp"
#include "measure.hpp"
#include "posting.hpp"
#include "scenario.hpp"

#include "core/log.hpp"
#include "core/text.hpp"

#include <boost/asio/co_spawn.hpp>

#include <atomic>
#include <cstdio>
#include <random>

namespace eelbench {

namespace asio = boost::asio;

namespace {

constexpr int page = 20;                    // eelchat's SEARCH_PAGE_SIZE default
constexpr const char* author = "Historian"; // the history channel's author, named for from:

struct log_failure {
    void operator()(std::exception_ptr e) const {
        if (e) std::fprintf(stderr, "eelbench: searcher failed: %s\n", eelchat::exception_message(e).c_str());
    }
};

struct searcher {
    std::unique_ptr<poster> client;
    histogram request_us;
    std::atomic<std::uint64_t> ok{0};
    std::uint64_t errors = 0;
    std::uint64_t wrong = 0;
    std::string last_error;
};

struct search_shared {
    std::string path; // /community/<id>/search
    std::int64_t messages = 0;
    std::atomic<bool> stop{false};
    std::atomic<bool> recording{false};
    std::atomic<int> running{0};
};

// A query and how many results its first page must show.
struct probe {
    std::string typed;
    int expect = 0;
};

// Messages are "history message <n> hhh...", n = 1..N: "history" and "message" are in every one, a
// number in one, and a five-digit prefix k (k > N/100, so no seven-digit number starts with it) matches
// k and k0..k9.
probe next_probe(std::mt19937_64& rng, std::int64_t n_messages) {
    std::uniform_int_distribution<std::int64_t> any(1, n_messages);
    const auto full = [&](int want) { return static_cast<int>(std::min<std::int64_t>(want, n_messages)); };
    switch (std::uniform_int_distribution<int>(0, 7)(rng)) {
    case 0:
        return {"history ", full(page)};
    case 1:
        return {"message history ", full(page)};
    case 2:
        return {std::to_string(any(rng)) + " ", 1};
    case 3:
        return {"histo", full(page)}; // the common word being typed
    case 4: {
        if (n_messages < 1000000) return {std::to_string(any(rng)) + " ", 1};
        std::uniform_int_distribution<std::int64_t> k(n_messages / 100 + 1, 99999);
        return {std::to_string(k(rng)), 11};
    }
    case 5:
        return {std::string("from:") + author + " " + std::to_string(any(rng)) + " ", 1};
    case 6:
        return {"in:history " + std::to_string(any(rng)) + " ", 1};
    default:
        return {std::string("message from:") + author + " in:history ", full(page)};
    }
}

int count_hits(std::string_view body) {
    int n = 0;
    for (std::size_t at = body.find("class=\"search-hit\""); at != std::string_view::npos;
         at = body.find("class=\"search-hit\"", at + 1))
        ++n;
    return n;
}

asio::awaitable<void> search_loop(search_shared& sh, searcher& s, std::uint32_t seed) {
    std::mt19937_64 rng(seed);
    std::string body;
    asio::steady_timer backoff(co_await asio::this_coro::executor);
    while (!sh.stop.load()) {
        const probe p = next_probe(rng, sh.messages);
        const std::string target = sh.path + "?q=" + eelchat::text::form_encode(p.typed);
        const auto t0 = now_ns();
        const unsigned status = co_await s.client->get(target, body);
        if (status != 200) {
            ++s.errors;
            s.last_error = s.client->last_error();
            backoff.expires_after(std::chrono::milliseconds(50));
            co_await backoff.async_wait(asio::use_awaitable);
            continue;
        }
        if (count_hits(body) != p.expect) {
            if (s.wrong == 0)
                s.last_error = "\"" + p.typed + "\" showed " + std::to_string(count_hits(body)) +
                               " results, not " + std::to_string(p.expect);
            ++s.wrong;
        }
        s.ok.fetch_add(1, std::memory_order_relaxed);
        if (sh.recording.load(std::memory_order_relaxed))
            s.request_us.record(static_cast<std::uint64_t>((now_ns() - t0) / 1000));
    }
    sh.running.fetch_sub(1);
}

} // namespace

report run_search(bench_context& ctx, bench_db& db) {
    const options& o = ctx.opts;
    report r;
    r.scenario = "search";
    r.parameters["messages_in_channel"] = o.history_messages;
    r.parameters["concurrency"] = o.concurrency;
    r.parameters["page_size"] = page;
    r.parameters["instances"] = ctx.instances.size();
    r.parameters["warmup_s"] = o.warmup;
    r.parameters["duration_s"] = o.duration;
    r.parameters["mix"] = "common words, common prefix, rare words, 5-digit prefixes, from:, in:, both";

    std::fprintf(stderr, "eelbench: search: preparing a channel of %lld messages\n",
                 static_cast<long long>(o.history_messages));
    const auto t0 = now_ns();
    history_channel h = ensure_history_channel(db, o.history_messages);
    if (h.created)
        std::fprintf(stderr, "eelbench: search: created in %.1f s (reused by later runs)\n",
                     static_cast<double>(now_ns() - t0) / 1e9);
    // from: needs a name: the history's author gets one (once; later runs find it set).
    db.exec(
        "UPDATE users SET display_name = $2 WHERE display_name IS NULL AND id IN (SELECT ms.user_id FROM"
        " memberships ms WHERE ms.community_id = $1 AND ms.user_id IN (SELECT id FROM users WHERE email LIKE"
        " 'eb-history-%@bench.invalid'))",
        {h.world.community_id, author});
    h.world.tag = random_tag();
    add_members(db, h.world, o.concurrency);

    loader threads(ctx.threads);
    threads.start();
    search_shared sh;
    sh.path = "/community/" + h.world.community_id + "/search";
    sh.messages = o.history_messages;
    std::vector<std::unique_ptr<searcher>> searchers;
    for (int i = 0; i < o.concurrency; ++i) {
        auto s = std::make_unique<searcher>();
        const unsigned t = static_cast<unsigned>(i) % threads.size();
        s->client = std::make_unique<poster>(threads.context(t).get_executor(),
                                             ctx.spec_for(static_cast<std::size_t>(i)),
                                             h.world.users[static_cast<std::size_t>(i)], o.message_size);
        sh.running.fetch_add(1);
        asio::co_spawn(threads.context(t), search_loop(sh, *s, static_cast<std::uint32_t>(i + 101)),
                       log_failure{});
        searchers.push_back(std::move(s));
    }
    auto done = [&] {
        std::uint64_t n = 0;
        for (const auto& s : searchers)
            n += s->ok.load(std::memory_order_relaxed);
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
    for (const auto& s : searchers) {
        all.merge(s->request_us);
        errors += s->errors;
        wrong += s->wrong;
        if (!s->last_error.empty()) last_error = s->last_error;
    }
    const double rate = static_cast<double>(at_close - at_open) / w.seconds;
    r.add_rate("requests_per_s", rate, "searches/s", "requests/s");
    r.add_latency("latency", all, "request latency");
    add_server_cpu(r, w, rate * w.seconds, "request");
    r.results["searches_checked"] = done();
    r.rows.emplace_back("searches checked", thousands(static_cast<double>(done())));
    r.add_errors("wrong_results", wrong,
                 "answers without the results their query must find" +
                     (last_error.empty() ? "" : " (" + last_error + ")"));
    r.add_errors("request_errors", errors, "requests refused or failed");
    db.exec("DELETE FROM memberships WHERE user_id IN (SELECT id FROM users WHERE email LIKE $1)",
            {"eb-" + h.world.tag + "-%@bench.invalid"});
    db.exec("DELETE FROM users WHERE email LIKE $1", {"eb-" + h.world.tag + "-%@bench.invalid"});
    return r;
}

} // namespace eelbench
