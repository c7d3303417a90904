#include "loader.hpp"

namespace eelbench {

unsigned default_threads() {
    unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : n;
}

loader::loader(unsigned threads) {
    if (threads == 0) threads = 1;
    for (unsigned i = 0; i < threads; ++i) {
        // Concurrency hint 1: each context is run by exactly one thread, so Asio may skip its locking.
        contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
        meters_.push_back(std::make_unique<thread_meter>());
    }
}

loader::~loader() {
    stop();
}

void loader::start() {
    if (!threads_.empty()) return;
    for (auto& c : contexts_)
        guards_.push_back(boost::asio::make_work_guard(*c));
    for (auto& c : contexts_)
        threads_.emplace_back([ctx = c.get()] { ctx->run(); });
}

void loader::stop() {
    guards_.clear();
    for (auto& c : contexts_)
        c->stop();
    for (auto& t : threads_)
        t.join();
    threads_.clear();
}

std::uint64_t loader::total_deliveries() const {
    std::uint64_t n = 0;
    for (const auto& m : meters_)
        n += m->total.load(std::memory_order_relaxed);
    return n;
}

std::uint64_t loader::window_deliveries() const {
    std::uint64_t n = 0;
    for (const auto& m : meters_)
        n += m->window.load(std::memory_order_relaxed);
    return n;
}

histogram loader::merged_latency() const {
    histogram h;
    for (const auto& m : meters_)
        h.merge(m->latency_us);
    return h;
}

} // namespace eelbench
