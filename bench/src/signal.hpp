// An async condition variable for one thread. Each waiter parks on a timer of its own (expiring at its
// time limit), and notify_all() cancels them all; waiters re-check their condition after waking, as with
// any condition variable. (One timer shared by several waiters would not do: re-arming it for one waiter
// cancels the others, and they would spin.)
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <vector>

namespace eelbench {

class async_signal {
public:
    explicit async_signal(boost::asio::any_io_executor) {}

    // Completes when notified or after `limit`.
    boost::asio::awaitable<void> wait(std::chrono::milliseconds limit = std::chrono::hours(24)) {
        boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, limit);
        waiters_.push_back(&timer);
        boost::system::error_code ec;
        co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &timer));
    }
    void notify_all() {
        for (auto* t : waiters_)
            t->cancel();
    }

private:
    std::vector<boost::asio::steady_timer*> waiters_;
};

} // namespace eelbench
