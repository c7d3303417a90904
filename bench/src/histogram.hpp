// A log-linear latency histogram in the style of HdrHistogram: values (microseconds) below 256 are kept
// exactly, above that each power of two is cut into 128 equal buckets, so any reported percentile is
// within 1% of the true value. Recording is an index computation and an increment: no allocation,
// nothing shared. Each loader thread keeps its own and they are merged after the run.
#pragma once

#include <cstdint>
#include <vector>

namespace eelbench {

class histogram {
public:
    histogram();

    void record(std::uint64_t value);
    void merge(const histogram& other);
    void reset();

    std::uint64_t count() const { return count_; }
    std::uint64_t max() const { return max_; }
    std::uint64_t min() const { return count_ ? min_ : 0; }
    double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
    // The smallest recorded bucket's upper bound below which `percentile` (0-100) of the values lie;
    // 0 for an empty histogram. percentile 100 gives max().
    std::uint64_t percentile(double percentile) const;

    // Bucket arithmetic, public for tests.
    static std::size_t index_of(std::uint64_t value);
    static std::uint64_t highest_equivalent(std::size_t index);

private:
    std::vector<std::uint64_t> counts_;
    std::uint64_t count_ = 0;
    std::uint64_t sum_ = 0;
    std::uint64_t max_ = 0;
    std::uint64_t min_ = UINT64_MAX;
};

} // namespace eelbench
