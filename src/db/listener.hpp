// The change-notification listener: one dedicated, long-lived connection that LISTENs on the event
// channels and hands each NOTIFY to the application, reconnecting forever.
//
// PostgreSQL does not keep notifications for a session that is not connected, so every (re)connect and
// every overflow of the notification queue is followed by a resync: the application catches up from its
// tables (ids greater than the last one it saw) in on_connected. NOTIFY is only ever a hint that the
// tables changed; the tables are the truth.
#pragma once

#include "core/log.hpp"
#include "db/connection.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace eelchat::db {

struct listener_options {
    std::string conninfo;
    std::vector<std::string> channels; // LISTEN targets, e.g. {"eelchat_events"}
    std::string application_name = "eelchat-listener";
    std::chrono::milliseconds connect_timeout{5000};
    // Silent this long: run "SELECT 1" (with query_timeout) to find out whether the server is still there;
    // a dead peer behind a NAT or a failed-over host would otherwise leave us waiting forever.
    std::chrono::milliseconds health_check_after{15000};
    // Deadline of the LISTEN statements and of the health check.
    std::chrono::milliseconds query_timeout{5000};
    std::chrono::milliseconds backoff_min{200}, backoff_max{5000};
};

// The reconnect delay policy, as a value so unit tests can drive it. The ceiling starts at `min`, doubles
// after each delay up to `max`, and returns to `min` after a good connection. Each delay is drawn from
// [ceiling/2, ceiling]: random, so that the servers of a fleet do not all reconnect in the same instant
// after a database restart, yet never close to zero, so a failing database is never hammered.
class reconnect_backoff {
public:
    reconnect_backoff(std::chrono::milliseconds min, std::chrono::milliseconds max) noexcept;

    // The next delay for the random draw `random` (any value), and raises the ceiling for the one after.
    std::chrono::milliseconds next(std::uint64_t random) noexcept;
    void reset() noexcept { ceiling_ = min_; }
    std::chrono::milliseconds ceiling() const noexcept { return ceiling_; }

private:
    std::chrono::milliseconds min_, max_, ceiling_;
};

// One long-lived connection that LISTENs and hands notifications to the application, reconnecting
// forever. The connection is dedicated: LISTEN and the health check run on it, application queries never
// do (they would delay notifications, and a pooled connection could be returned with LISTEN still active).
//
// Threading: construct it, run() it and stop() it on one executor (the thread of one io_context); the
// callbacks run there too. connected(), backend_pid(), connects() and connect_attempts() may be read from
// any thread. The listener must outlive the coroutine of run().
class listener {
public:
    struct callbacks {
        // After every successful (re)connect, once LISTEN is in place and BEFORE any notification of this
        // connection is delivered: the app catches up from its tables here (anything committed while we
        // were away). It is awaited: notifications that arrive meanwhile wait in the connection and are
        // delivered afterwards. Also called again, as a resync, when the connection's notification queue
        // overflowed (notifications were dropped; nothing was lost in the tables).
        // If it throws, the error is logged and the connection is treated as failed (reconnect, which
        // resyncs again). It is cancelled (terminal cancellation of its awaiting coroutine) by stop().
        std::function<boost::asio::awaitable<void>()> on_connected;
        // Each notification, in arrival order. It must not block. If it throws, the error is logged and the
        // listener reconnects, because the app has missed that notification and must resync.
        std::function<void(const notification&)> on_notification;
    };

    listener(boost::asio::any_io_executor ex, listener_options opts, callbacks cb, logger log);
    listener(const listener&) = delete;
    listener& operator=(const listener&) = delete;

    // Runs until stop(): connect (waiting reconnect_backoff delays between attempts), LISTEN each channel,
    // call on_connected, then wait for notifications, health-checking a silent connection; any connection
    // error or callback failure is logged and followed by a reconnect. Must be awaited on the listener's
    // executor, at most once.
    // Completion: `void`, only after stop(), with the connection closed and no timer or socket operation
    // left behind. It does not complete on database errors: they are retried forever. Exceptions other
    // than the callbacks' (bugs, bad_alloc) propagate.
    // Cancellation: stop() is the way to end it. Cancelling the awaiting coroutine's slot instead is not
    // supported (the listener would keep running).
    boost::asio::awaitable<void> run();

    // Ends run() promptly: it interrupts a connect, a wait for notifications, a health check, a backoff
    // sleep and a running on_connected. Call it on the listener's executor (it may be called from the
    // callbacks). Idempotent, and final: the listener cannot be run again. Calling it before run() makes
    // run() return at once.
    void stop();

    // LISTEN active right now (for /readyz-like reporting and tests); true from LISTEN until the
    // connection is found broken.
    bool connected() const noexcept { return connected_.load(std::memory_order_relaxed); }
    // Of the current connection, 0 when there is none.
    int backend_pid() const noexcept { return backend_pid_.load(std::memory_order_relaxed); }
    // Connections that got LISTEN in place, so far.
    std::uint64_t connects() const noexcept { return connects_.load(std::memory_order_relaxed); }
    // Connection attempts started so far, successful or not.
    std::uint64_t connect_attempts() const noexcept { return attempts_.load(std::memory_order_relaxed); }

private:
    // Runs `op` as a child coroutine that stop() cancels.
    template <class T> boost::asio::awaitable<T> cancellable(boost::asio::awaitable<T> op);
    // One connection's life: connect, LISTEN, resync, consume until it breaks or stop(). Returns true if
    // it got as far as a completed resync (a good connection, which resets the backoff).
    boost::asio::awaitable<bool> session();
    boost::asio::awaitable<result<void>> listen(connection& conn);
    // on_connected, with its exceptions turned into `false` (logged) so they cannot escape the session.
    boost::asio::awaitable<bool> resync(const char* reason);
    // Hands out every queued notification in order, resyncing after an overflow; false if a callback
    // failed (logged) and the connection must be dropped.
    boost::asio::awaitable<bool> deliver(connection& conn);
    boost::asio::awaitable<void> sleep(std::chrono::milliseconds d);

    boost::asio::any_io_executor executor_;
    listener_options opts_;
    callbacks cb_;
    logger log_;
    boost::asio::cancellation_signal stop_signal_;
    std::minstd_rand rng_;
    bool running_ = false;
    bool stopped_ = false;
    std::atomic<bool> connected_{false};
    std::atomic<int> backend_pid_{0};
    std::atomic<std::uint64_t> connects_{0};
    std::atomic<std::uint64_t> attempts_{0};
};

} // namespace eelchat::db
