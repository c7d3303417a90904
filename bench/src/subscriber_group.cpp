#include "subscriber_group.hpp"

#include "frames.hpp"
#include "signal.hpp"

#include "core/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include <thread>

namespace eelbench {

namespace asio = boost::asio;

namespace {
// Handshakes in flight per loader thread: enough to connect thousands a second, few enough that the
// server's accept backlog never overflows.
constexpr int connecting_per_thread = 64;

struct log_failure {
    void operator()(std::exception_ptr e) const {
        if (e)
            std::fprintf(stderr, "eelbench: subscriber failed: %s\n", eelchat::exception_message(e).c_str());
    }
};
} // namespace

subscriber_group::subscriber_group(bench_context& ctx, loader& threads) : ctx_(ctx), loader_(threads) {}

subscriber_group::~subscriber_group() {
    close_all();
}

std::size_t subscriber_group::connect_all(const std::vector<subscription_spec>& specs, double limit_s) {
    const std::size_t first = subs_.size();
    std::vector<std::vector<std::size_t>> per_thread(loader_.size());
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const std::size_t index = first + i;
        const unsigned t = static_cast<unsigned>(index % loader_.size());
        specs_.push_back(specs[i]);
        subs_.push_back(std::make_unique<subscriber>(loader_.context(t).get_executor(), specs[i].channel,
                                                     specs[i].after, t));
        per_thread[t].push_back(index);
    }
    const std::uint64_t target = connected_.load() + failed_.load() + specs.size();
    for (unsigned t = 0; t < loader_.size(); ++t)
        asio::co_spawn(loader_.context(t), connect_thread(t, std::move(per_thread[t])), log_failure{});
    const auto deadline = now_ns() + static_cast<std::int64_t>(limit_s * 1e9);
    while (connected_.load() + failed_.load() < target && now_ns() < deadline)
        sleep_seconds(0.02);
    return connected_.load();
}

asio::awaitable<void> subscriber_group::connect_thread(unsigned, std::vector<std::size_t> indexes) {
    auto ex = co_await asio::this_coro::executor;
    int in_progress = 0;
    async_signal changed(ex);
    for (std::size_t index : indexes) {
        while (in_progress >= connecting_per_thread)
            co_await changed.wait(std::chrono::milliseconds(100));
        ++in_progress;
        asio::co_spawn(ex, run_one(index, &in_progress, &changed), log_failure{});
    }
    while (in_progress > 0)
        co_await changed.wait(std::chrono::milliseconds(100));
}

asio::awaitable<void> subscriber_group::run_one(std::size_t index, int* in_progress, async_signal* changed) {
    subscriber& s = *subs_[index];
    const subscription_spec& spec = specs_[index];
    const instance& inst = ctx_.instances[spec.instance];
    endpoint_spec where;
    where.server = inst.endpoint;
    where.source = source_address(inst.endpoint, index);
    where.host_header = inst.url.host_header;
    running_.fetch_add(1);
    auto ec = co_await s.connect(where, spec.target, spec.cookie, inst.url.base);
    --*in_progress;
    changed->notify_all();
    if (ec) {
        {
            std::lock_guard lock(error_mutex_);
            if (first_error_.empty()) first_error_ = "websocket connect: " + ec.message();
        }
        failed_.fetch_add(1);
        running_.fetch_sub(1);
        co_return;
    }
    connected_.fetch_add(1);
    co_await s.read_loop(*this);
    if (!closing_.load()) {
        dropped_.fetch_add(1);
        std::lock_guard lock(error_mutex_);
        if (first_error_.empty())
            first_error_ = "the server closed a websocket (code " + std::to_string(s.close_code()) + ")";
    }
    running_.fetch_sub(1);
}

void subscriber_group::close_all() {
    if (closing_.exchange(true) && running_.load() == 0) return;
    for (unsigned t = 0; t < loader_.size(); ++t) {
        asio::post(loader_.context(t), [this, t] {
            for (auto& s : subs_)
                if (s->thread() == t) s->close();
        });
    }
    const auto deadline = now_ns() + 10'000'000'000;
    while (running_.load() > 0 && now_ns() < deadline)
        sleep_seconds(0.01);
}

std::string subscriber_group::first_error() const {
    std::lock_guard lock(error_mutex_);
    return first_error_;
}

delivery_counts subscriber_group::finish(std::int64_t final_seq) {
    delivery_counts counts;
    for (auto& s : subs_)
        counts.add(s->tracker().finish(final_seq));
    return counts;
}

delivery_counts subscriber_group::finish(const std::vector<std::int64_t>& finals) {
    delivery_counts counts;
    for (auto& s : subs_)
        counts.add(s->tracker().finish(finals[s->channel()]));
    return counts;
}

std::size_t subscriber_group::count_on(unsigned thread, std::uint32_t channel) const {
    std::size_t n = 0;
    for (const auto& s : subs_)
        if (s->thread() == thread && s->channel() == channel) ++n;
    return n;
}

void subscriber_group::on_frame(subscriber& s, std::string_view frame) {
    thread_meter& m = loader_.meter(s.thread());
    std::int64_t seq = -1;
    std::optional<bench_mark> mark;
    if (raw_frames) {
        mark = find_mark(frame);
        if (mark) seq = static_cast<std::int64_t>(mark->post) + 1;
    } else {
        auto f = parse_frame(frame);
        seq = f.seq;
        mark = f.mark;
    }
    if (seq < 0 || !mark || mark->channel != s.channel()) {
        s.tracker().on_foreign();
        return;
    }
    const auto verdict = s.tracker().on_message(seq);
    // Only this thread writes its meter: a plain load and store instead of a locked increment.
    m.total.store(m.total.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (loader_.recording.load(std::memory_order_relaxed)) {
        m.window.store(m.window.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        const std::int64_t waited = now_ns() - mark->sent_ns;
        m.latency_us.record(waited > 0 ? static_cast<std::uint64_t>(waited / 1000) : 0);
    }
    if (verdict == delivery_tracker::verdict::in_order && on_delivered) on_delivered(s.thread(), mark->post);
}

} // namespace eelbench
