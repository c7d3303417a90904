#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace eelbench {

namespace {
constexpr unsigned sub_bits = 7; // 128 buckets per power of two
constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;
constexpr unsigned max_bits = 48; // 2^48 µs is nine years
constexpr std::size_t bucket_count = (max_bits - sub_bits + 1) * sub_count;
} // namespace

histogram::histogram() : counts_(bucket_count, 0) {}

std::size_t histogram::index_of(std::uint64_t v) {
    if (v >= (std::uint64_t{1} << max_bits)) v = (std::uint64_t{1} << max_bits) - 1;
    if (v < 2 * sub_count) return static_cast<std::size_t>(v);
    // v has `width` significant bits; keep the top sub_bits+1 of them.
    const unsigned width = static_cast<unsigned>(std::bit_width(v));
    const unsigned shift = width - sub_bits - 1;
    return static_cast<std::size_t>((shift + 1) * sub_count + ((v >> shift) - sub_count));
}

std::uint64_t histogram::highest_equivalent(std::size_t index) {
    if (index < 2 * sub_count) return index;
    const std::uint64_t shift = index / sub_count - 1;
    const std::uint64_t top = index % sub_count + sub_count;
    return ((top + 1) << shift) - 1;
}

void histogram::record(std::uint64_t v) {
    ++counts_[index_of(v)];
    ++count_;
    sum_ += v;
    max_ = std::max(max_, v);
    min_ = std::min(min_, v);
}

void histogram::merge(const histogram& o) {
    for (std::size_t i = 0; i < counts_.size(); ++i)
        counts_[i] += o.counts_[i];
    count_ += o.count_;
    sum_ += o.sum_;
    max_ = std::max(max_, o.max_);
    min_ = std::min(min_, o.min_);
}

void histogram::reset() {
    std::fill(counts_.begin(), counts_.end(), 0);
    count_ = sum_ = max_ = 0;
    min_ = UINT64_MAX;
}

std::uint64_t histogram::percentile(double p) const {
    if (count_ == 0) return 0;
    if (p >= 100.0) return max_;
    auto wanted = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
    wanted = std::max<std::uint64_t>(wanted, 1);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= wanted) return std::min(highest_equivalent(i), max_);
    }
    return max_;
}

} // namespace eelbench
