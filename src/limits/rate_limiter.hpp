// Token buckets by key, in memory, shared by every worker thread of the process: a bucket holds up to
// `burst` tokens, refills at `per_minute` a minute, and each allowed event takes one. Used on hot paths
// (posting a message) where a database round trip per event would cost more than the event; each
// instance counts for itself, so behind N instances a client gets at most N times the limit.
//
// Memory is bounded: at most max_keys buckets. When full, buckets that have refilled completely (the same
// as no bucket) are dropped; if none has, a new key is let through uncounted rather than evicting
// someone's partly spent bucket.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace eelchat::limits {

class rate_limiter {
public:
    using clock = std::chrono::steady_clock;

    struct verdict {
        bool allowed = true;
        std::chrono::seconds retry_after{0}; // when refused: until the next token, rounded up
    };

    // per_minute 0: no limit.
    explicit rate_limiter(unsigned per_minute, std::size_t max_keys = 100000);

    // Takes a token from `key`'s bucket.
    verdict take(std::string_view key, clock::time_point now = clock::now());

    std::size_t size() const;

private:
    struct bucket {
        double tokens;
        clock::time_point updated;
    };
    double refilled(const bucket& b, clock::time_point now) const;
    void prune(clock::time_point now);

    double per_second_;
    double burst_;
    std::size_t max_keys_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, bucket> buckets_;
};

} // namespace eelchat::limits
