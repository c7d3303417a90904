#include "db/listener.hpp"

#include "core/metrics.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <exception>
#include <span>
#include <stdexcept>
#include <type_traits>

namespace eelchat::db {
namespace asio = boost::asio;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

// Summed over the process's listeners: in production there is one (the realtime hub's), so 0 or 1.
auto& listener_connected = metrics::global()
                               .gauges("eelchat_db_listener_connected",
                                       "Whether the LISTEN connection is up and listening (1) or not (0).")
                               .get();
auto& listener_reconnects = metrics::global()
                                .counters("eelchat_db_listener_reconnects_total",
                                          "LISTEN connections established after the first one.")
                                .get();

std::int64_t ms_since(steady_clock::time_point t) {
    return std::chrono::duration_cast<milliseconds>(steady_clock::now() - t).count();
}

} // namespace

reconnect_backoff::reconnect_backoff(milliseconds min, milliseconds max) noexcept
    : min_(std::max(min, milliseconds(1))), max_(std::max(max, min_)), ceiling_(min_) {}

milliseconds reconnect_backoff::next(std::uint64_t random) noexcept {
    const auto ceiling = ceiling_.count();
    // At least 1 ms even for a 1 ms ceiling: a zero delay would make a refusing server a busy loop.
    const auto floor = std::max<milliseconds::rep>(ceiling / 2, 1);
    const auto span = static_cast<std::uint64_t>(ceiling - floor) + 1;
    const milliseconds delay(floor + static_cast<milliseconds::rep>(random % span));
    ceiling_ = ceiling_ >= max_ / 2 ? max_ : ceiling_ * 2;
    return delay;
}

listener::listener(asio::any_io_executor ex, listener_options opts, callbacks cb, logger log)
    : executor_(std::move(ex)), opts_(std::move(opts)), cb_(std::move(cb)), log_(std::move(log)),
      rng_(std::random_device{}()) {}

void listener::stop() {
    if (stopped_) return;
    stopped_ = true;
    log_.debug("listener_stopping", {});
    // Reaches whatever the child coroutine of run() is suspended in: a socket wait, a query, a timer,
    // or the application's on_connected. With no child (stop before or after run), the flag is enough.
    stop_signal_.emit(asio::cancellation_type::terminal);
}

template <class T> asio::awaitable<T> listener::cancellable(asio::awaitable<T> op) {
    // A child coroutine, because only a co_spawn lets us attach our own cancellation slot to it; the
    // parent awaits the child's completion, so nothing of it outlives this call.
    try {
        if constexpr (std::is_void_v<T>) {
            if (stopped_) co_return;
            co_await asio::co_spawn(executor_, std::move(op),
                                    asio::bind_cancellation_slot(stop_signal_.slot(), asio::use_awaitable));
        } else {
            if (stopped_) co_return T();
            co_return co_await asio::co_spawn(
                executor_, std::move(op),
                asio::bind_cancellation_slot(stop_signal_.slot(), asio::use_awaitable));
        }
    } catch (const boost::system::system_error& e) {
        // A stop() that lands after the child was spawned but before it first ran makes its entry point
        // throw instead of starting it. Anything else is a bug and propagates.
        if (!stopped_ || e.code() != asio::error::operation_aborted) throw;
    }
    if constexpr (!std::is_void_v<T>) co_return T();
}

asio::awaitable<void> listener::run() {
    if (stopped_) co_return;
    if (running_) throw std::logic_error("db::listener::run() called twice");
    running_ = true;

    reconnect_backoff backoff(opts_.backoff_min, opts_.backoff_max);
    while (!stopped_) {
        const bool good = co_await cancellable(session());
        if (stopped_) break;
        // A connection that got as far as a resync proves the server healthy again: start the delays
        // over. We still wait before reconnecting, so a server that accepts and then drops every
        // connection cannot make us spin.
        if (good) backoff.reset();
        const milliseconds delay = backoff.next(rng_());
        log_.info("listener_backoff", {{"delay_ms", delay.count()}, {"attempts", connect_attempts()}});
        co_await cancellable(sleep(delay));
    }
    log_.info("listener_stopped", {{"connects", connects()}, {"attempts", connect_attempts()}});
}

asio::awaitable<bool> listener::session() {
    // stop() must show up as the error codes of the operations (errc::cancelled, operation_aborted), not
    // as exceptions thrown at the next co_await: those would unwind the connection mid-protocol and
    // surface inside on_connected as failures.
    co_await asio::this_coro::throw_if_cancelled(false);

    // The flags describe the connection of this frame; whatever way the frame ends, it is gone.
    struct published_state {
        listener& self;
        bool counted = false;
        ~published_state() {
            if (counted) listener_connected.sub();
            self.connected_ = false;
            self.backend_pid_ = 0;
        }
    } published{*this};

    const auto attempt = ++attempts_;
    auto connected =
        co_await connection::connect(opts_.conninfo, opts_.application_name, opts_.connect_timeout, log_);
    if (stopped_) co_return false;
    if (!connected) {
        log_.warn("listener_connect_failed", {{"attempt", attempt}, {"error", connected.error().message()}});
        co_return false;
    }
    std::unique_ptr<connection> conn = std::move(*connected);
    const int pid = conn->backend_pid();
    backend_pid_ = pid;

    // LISTEN before the resync: a row committed after on_connected's snapshot is then guaranteed to be
    // notified, so nothing falls between the catch-up and the notifications.
    auto listening = co_await listen(*conn);
    if (stopped_) co_return false;
    if (!listening) {
        log_.warn("listener_listen_failed", {{"backend_pid", pid},
                                             {"error", listening.error().message()},
                                             {"detail", conn->last_error_message()}});
        co_return false;
    }
    connected_ = true;
    const auto n = ++connects_;
    published.counted = true;
    listener_connected.add();
    if (n > 1) listener_reconnects.inc();
    log_.info("listener_connected", {{"backend_pid", pid}, {"connects", n}, {"attempt", attempt}});

    const bool caught_up = co_await resync("connected");
    if (!caught_up) co_return false;

    const std::span<const param> no_params;
    for (;;) {
        const bool delivered = co_await deliver(*conn);
        if (!delivered || stopped_) co_return true;

        auto waited =
            co_await conn->wait_readable_and_consume(steady_clock::now() + opts_.health_check_after);
        if (stopped_) co_return true;
        if (waited) continue;
        if (waited.error() != make_error_code(errc::timeout)) {
            log_.warn("listener_connection_lost", {{"backend_pid", pid},
                                                   {"error", waited.error().message()},
                                                   {"detail", conn->last_error_message()}});
            co_return true;
        }

        // Silence can mean an idle system or a dead peer that never sent a FIN; only a round trip tells.
        const auto started = steady_clock::now();
        auto probe = co_await conn->query("SELECT 1", no_params, started + opts_.query_timeout);
        if (stopped_) co_return true;
        if (!probe) {
            log_.warn("listener_health_check_failed", {{"backend_pid", pid},
                                                       {"error", probe.error().message()},
                                                       {"detail", conn->last_error_message()}});
            co_return true;
        }
        log_.debug("listener_health_check", {{"backend_pid", pid}, {"ms", ms_since(started)}});
    }
}

asio::awaitable<result<void>> listener::listen(connection& conn) {
    // One round trip for all channels; identifiers quoted, since a channel name is an identifier and
    // cannot be a $1 parameter.
    std::string sql;
    for (const auto& channel : opts_.channels) {
        auto quoted = conn.escape_identifier(channel);
        if (!quoted) co_return quoted.error();
        sql += "LISTEN " + *quoted + ";";
    }
    if (sql.empty()) co_return result<void>{};
    co_return co_await conn.execute(sql, steady_clock::now() + opts_.query_timeout);
}

asio::awaitable<bool> listener::resync(const char* reason) {
    if (!cb_.on_connected) co_return true;
    const auto started = steady_clock::now();
    std::exception_ptr failure;
    try {
        co_await cb_.on_connected();
    } catch (...) {
        failure = std::current_exception();
    }
    // Interrupted by stop(): whatever it threw was our cancellation, not the application's failure.
    if (stopped_) co_return false;
    if (failure) {
        log_.error("listener_resync_failed", {{"reason", reason}, {"error", exception_message(failure)}});
        co_return false;
    }
    log_.info("listener_resynced", {{"reason", reason}, {"ms", ms_since(started)}});
    co_return true;
}

asio::awaitable<bool> listener::deliver(connection& conn) {
    // Read the flag before taking the batch: the batch is what was kept, in order, up to the moment the
    // queue filled; whatever came after was dropped and is covered by the resync that follows it.
    const bool overflowed = conn.overflowed();
    const auto batch = conn.take_notifications();
    for (const auto& n : batch) {
        // on_notification may itself call stop(); nothing more is delivered after that.
        if (stopped_) co_return true;
        if (!cb_.on_notification) continue;
        try {
            cb_.on_notification(n);
        } catch (...) {
            log_.error("listener_notification_failed",
                       {{"channel", n.channel}, {"error", exception_message(std::current_exception())}});
            co_return false;
        }
    }
    if (!overflowed || stopped_) co_return true;
    conn.reset_overflowed();
    log_.warn("listener_overflowed", {{"delivered", batch.size()}});
    co_return co_await resync("overflow");
}

asio::awaitable<void> listener::sleep(milliseconds d) {
    co_await asio::this_coro::throw_if_cancelled(false);
    asio::steady_timer timer(executor_, d);
    boost::system::error_code ec; // operation_aborted when stop() cuts the sleep short
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

} // namespace eelchat::db
