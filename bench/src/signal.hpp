// An async condition variable for one thread: waiters park on a timer that never expires and notify()
// cancels it. Waiters re-check their condition after waking (as with any condition variable).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

namespace eelbench {

class async_signal {
public:
    explicit async_signal(boost::asio::any_io_executor ex)
        : timer_(ex, boost::asio::steady_timer::time_point::max()) {}

    // Completes when notified or after `limit`.
    boost::asio::awaitable<void> wait(std::chrono::milliseconds limit = std::chrono::hours(24)) {
        boost::system::error_code ec;
        if (limit < std::chrono::hours(24))
            timer_.expires_after(limit);
        else
            timer_.expires_at(boost::asio::steady_timer::time_point::max());
        co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    void notify_all() { timer_.cancel(); }

private:
    boost::asio::steady_timer timer_;
};

} // namespace eelbench
