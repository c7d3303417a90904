#include "limits/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace eelchat::limits {

rate_limiter::rate_limiter(unsigned per_minute, std::size_t max_keys)
    : per_second_(per_minute / 60.0), burst_(std::max(1.0, std::floor(per_minute / 3.0))),
      max_keys_(max_keys) {}

double rate_limiter::refilled(const bucket& b, clock::time_point now) const {
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    return std::min(burst_, b.tokens + std::max(0.0, elapsed) * per_second_);
}

void rate_limiter::prune(clock::time_point now) {
    std::erase_if(buckets_, [&](const auto& kv) { return refilled(kv.second, now) >= burst_; });
}

rate_limiter::verdict rate_limiter::take(std::string_view key, clock::time_point now) {
    if (per_second_ <= 0) return {};
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(std::string(key));
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_keys_) {
            prune(now);
            if (buckets_.size() >= max_keys_) return {};
        }
        it = buckets_.emplace(std::string(key), bucket{burst_, now}).first;
    }
    bucket& b = it->second;
    b.tokens = refilled(b, now);
    b.updated = now;
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return {};
    }
    const double wait = (1.0 - b.tokens) / per_second_;
    return {false, std::chrono::seconds(static_cast<long>(std::ceil(wait)))};
}

std::size_t rate_limiter::size() const {
    std::lock_guard lock(mutex_);
    return buckets_.size();
}

} // namespace eelchat::limits
