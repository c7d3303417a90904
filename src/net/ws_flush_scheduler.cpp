#include "net/ws_flush_scheduler.hpp"

#include "net/ws_session.hpp"

#include <boost/asio/post.hpp>

namespace eelchat::net {

boost::asio::execution_context::id ws_flush_scheduler::id;

ws_flush_scheduler::ws_flush_scheduler(boost::asio::io_context& ctx)
    : boost::asio::execution_context::service(ctx), ex_(ctx.get_executor()) {}

void ws_flush_scheduler::schedule(std::shared_ptr<ws_session> s) {
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(s));
    if (posted_) return;
    posted_ = true;
    boost::asio::post(ex_, [this] { turn(); });
}

void ws_flush_scheduler::turn() {
    for (std::size_t i = 0; i < sessions_per_turn; ++i) {
        std::shared_ptr<ws_session> s;
        {
            std::lock_guard lock(mutex_);
            if (pending_.empty()) break;
            s = std::move(pending_.front());
            pending_.pop_front();
        }
        s->scheduled_flush(); // may schedule it again, at the back
    }
    std::lock_guard lock(mutex_);
    if (pending_.empty()) {
        posted_ = false;
        return;
    }
    // The rest waits behind whatever was posted meanwhile (the hub's next batch among it).
    boost::asio::post(ex_, [this] { turn(); });
}

void ws_flush_scheduler::shutdown() {
    // The context is going away: sessions still listed would keep it (and themselves) alive.
    std::deque<std::shared_ptr<ws_session>> gone;
    {
        std::lock_guard lock(mutex_);
        gone.swap(pending_);
        posted_ = false;
    }
}

} // namespace eelchat::net
