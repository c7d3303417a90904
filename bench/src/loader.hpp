// The loader's threads: one io_context per thread, like the server, so a connection and everything that
// touches it stay on one thread and nothing on the hot path locks. Per-thread meters count deliveries
// and keep a latency histogram; the main thread reads the counters (relaxed atomics) while the run goes
// and merges the histograms after the threads stopped.
#pragma once

#include "histogram.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace eelbench {

// What one thread measured. Written by its thread only.
struct alignas(64) thread_meter {
    histogram latency_us;                 // only while the window is open
    std::atomic<std::uint64_t> total{0};  // every delivery, for draining
    std::atomic<std::uint64_t> window{0}; // deliveries inside the window
    std::atomic<std::uint64_t> errors{0};
};

class loader {
public:
    explicit loader(unsigned threads);
    ~loader();
    loader(const loader&) = delete;
    loader& operator=(const loader&) = delete;

    unsigned size() const { return static_cast<unsigned>(contexts_.size()); }
    boost::asio::io_context& context(unsigned i) { return *contexts_[i % contexts_.size()]; }
    thread_meter& meter(unsigned i) { return *meters_[i % meters_.size()]; }

    // Starts the threads (idempotent).
    void start();
    // Stops every io_context and joins the threads; pending coroutines are destroyed with the contexts.
    void stop();

    // Whether deliveries count towards the measured window (the main thread opens and closes it).
    std::atomic<bool> recording{false};

    std::uint64_t total_deliveries() const;
    std::uint64_t window_deliveries() const;
    histogram merged_latency() const; // call after stop()

private:
    std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
    std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
    std::vector<std::unique_ptr<thread_meter>> meters_;
    std::vector<std::thread> threads_;
};

// How many threads by default: one per core.
unsigned default_threads();

} // namespace eelbench
