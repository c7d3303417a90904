// A scenario's subscribers: created on the main thread, spread over the loader's threads and the
// instances, connected with a bounded number of handshakes in flight per thread, then reading until the
// scenario closes them. The group also is the frame sink: each frame is parsed (two substring searches),
// checked against the subscriber's delivery tracker, counted in its thread's meter and, while the window
// is open, its post-to-delivery latency recorded.
#pragma once

#include "clients.hpp"
#include "delivery_check.hpp"
#include "loader.hpp"
#include "scenario.hpp"
#include "signal.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace eelbench {

struct subscription_spec {
    std::string target; // "/community/<id>/channel/<cid>/connect?after=N"
    std::string cookie;
    std::uint32_t channel = 0;
    std::int64_t after = 0;
    std::size_t instance = 0; // index in ctx.instances; also picks the source address
};

class subscriber_group final : public frame_sink {
public:
    subscriber_group(bench_context& ctx, loader& threads);
    ~subscriber_group() override;

    // Called for each in-order delivery (on the subscriber's thread), e.g. for fanout's flow control.
    std::function<void(unsigned thread, std::uint64_t post)> on_delivered;
    // Frames that are not eelchat messages are parsed by this instead, when set (loopback baseline).
    bool raw_frames = false;

    // Connects every spec (the loader must be running); returns when all connected or failed, or after
    // `limit_s` seconds. Returns how many connected.
    std::size_t connect_all(const std::vector<subscription_spec>& specs, double limit_s);
    // Closes every socket on its own thread and waits (bounded) for the read loops to end.
    void close_all();

    std::size_t size() const { return subs_.size(); }
    subscriber& at(std::size_t i) { return *subs_[i]; }
    std::uint64_t failed() const { return failed_.load(); }
    std::uint64_t dropped() const { return dropped_.load(); } // closed by the server during the run
    std::string first_error() const;
    // Every subscriber's delivery accounting, once the run is over: each expected messages 1..final_seq
    // of its channel (one figure for all, or finals[channel]).
    delivery_counts finish(std::int64_t final_seq);
    delivery_counts finish(const std::vector<std::int64_t>& finals);
    // Subscribers per thread per channel (fanout's flow control needs it).
    std::size_t count_on(unsigned thread, std::uint32_t channel) const;

    void on_frame(subscriber& s, std::string_view frame) override;

private:
    boost::asio::awaitable<void> connect_thread(unsigned thread, std::vector<std::size_t> indexes);
    boost::asio::awaitable<void> run_one(std::size_t index, int* in_progress, async_signal* changed);

    bench_context& ctx_;
    loader& loader_;
    std::vector<subscription_spec> specs_;
    std::vector<std::unique_ptr<subscriber>> subs_;
    std::atomic<std::uint64_t> connected_{0};
    std::atomic<std::uint64_t> failed_{0};
    std::atomic<std::uint64_t> dropped_{0};
    std::atomic<std::uint64_t> running_{0};
    std::atomic<bool> closing_{false};
    mutable std::mutex error_mutex_;
    std::string first_error_;
};

} // namespace eelbench
