// The writes of an io_context's websocket sessions, taken in turns. A session with frames to send joins
// the context's list once (however many frames it queues meanwhile), and one handler works through the
// list a few dozen sessions at a time, posting itself again between turns.
//
// Under load this is what gathers frames into fewer writes: while the writer works through thousands of
// sockets, the next batch from the hub runs between two turns and lands in the queues of the sessions still
// waiting, which then send both in one write. Idle, nothing waits: the first session that joins posts the
// handler at once. Compared with one posted handler per session it also costs one list entry instead of
// one operation allocated and queued per socket per batch.
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>

namespace eelchat::net {

class ws_session;

class ws_flush_scheduler final : public boost::asio::execution_context::service {
public:
    static boost::asio::execution_context::id id;

    // Sessions written per turn: a turn of 64 loopback writes takes about 0.2 ms, short enough that
    // whatever else the context has to do waits little, long enough to keep the posting overhead small.
    static constexpr std::size_t sessions_per_turn = 64;

    explicit ws_flush_scheduler(boost::asio::io_context& ctx);

    // `s` is not in the list (the session tracks that); its flush runs at a later turn.
    void schedule(std::shared_ptr<ws_session> s);

private:
    void shutdown() override;
    void turn();

    boost::asio::io_context::executor_type ex_;
    std::mutex mutex_; // uncontended: each of eelchat's contexts is run by one thread
    std::deque<std::shared_ptr<ws_session>> pending_;
    bool posted_ = false;
};

} // namespace eelchat::net
