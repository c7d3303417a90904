// Knows when a message reached every subscriber of a channel, without a shared counter per delivery:
// each loader thread counts its own subscribers' deliveries of a message, and only the thread that
// completes its share touches a shared atomic. Used for flow control (fanout's messages in flight).
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

namespace eelbench {

class completion_counter {
public:
    // `per_thread[t]`: how many subscribers thread t has in the channel.
    explicit completion_counter(std::vector<std::size_t> per_thread);

    // A subscriber on thread `t` received message `post` (in order). True exactly once per message: when
    // this call completed its delivery to every subscriber. Messages more than `ring` apart must not be
    // in flight at the same time.
    bool delivered(unsigned t, std::uint64_t post);

    static constexpr std::size_t ring = 65536;

private:
    std::vector<std::size_t> per_thread_;
    unsigned threads_with_subscribers_ = 0;
    std::vector<std::vector<std::uint32_t>> local_;
    std::vector<std::atomic<std::uint32_t>> done_;
};

} // namespace eelbench
