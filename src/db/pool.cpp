#include "db/pool.hpp"

#include "core/metrics.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <list>

namespace eelchat::db {
namespace asio = boost::asio;
using std::chrono::steady_clock;

namespace {

auto& in_use_family = metrics::global().gauges(
    "eelchat_db_pool_connections_in_use",
    "Pooled connections leased to a caller now, by pool (application_name), over all threads.", {"pool"});
auto& waiters_family = metrics::global().gauges(
    "eelchat_db_pool_waiters", "Callers waiting for a pooled connection now, by pool.", {"pool"});
auto& call_duration_family = metrics::global().histograms(
    "eelchat_db_call_duration_seconds",
    "Database calls through a pool (waiting for a connection, then the statement), by pool.",
    metrics::latency_buckets, {"pool"});

} // namespace

namespace detail {

// A caller queued for a connection. It lives in the caller's coroutine frame; the pool only points at
// it while it is queued. The timer doubles as the wake-up signal: the pool cancels it to hand over.
struct waiter {
    waiter(const asio::any_io_executor& ex, steady_clock::time_point deadline) : wake(ex) {
        wake.expires_at(deadline);
    }
    asio::steady_timer wake;
    std::unique_ptr<connection> handed; // a returned connection, passed straight to this caller
    bool slot = false;                  // room to open a connection, reserved for this caller
    bool queued = false;
    std::list<waiter*>::iterator pos;
};

struct pool_state {
    pool_state(asio::any_io_executor ex, pool_config c, logger l)
        : executor(std::move(ex)), config(std::move(c)), log(std::move(l)),
          in_use(in_use_family.with({config.application_name})),
          waiting(waiters_family.with({config.application_name})),
          call_duration(call_duration_family.with({config.application_name})) {}

    asio::any_io_executor executor;
    pool_config config;
    logger log;
    std::vector<std::unique_ptr<connection>> idle; // most recently returned last: reuse the warmest
    std::size_t size = 0;                          // idle + leased + being opened
    std::list<waiter*> waiters;                    // FIFO
    bool closed = false;
    // This pool's children of the process-wide families, resolved once (several pools share a name).
    metrics::gauge& in_use;
    metrics::gauge& waiting;
    metrics::histogram& call_duration;

    void enqueue(waiter& w) {
        w.pos = waiters.insert(waiters.end(), &w);
        w.queued = true;
        waiting.add();
    }

    void dequeue(waiter& w) {
        if (!w.queued) return;
        waiters.erase(w.pos);
        w.queued = false;
        waiting.sub();
    }

    waiter* pop_waiter() {
        if (closed || waiters.empty()) return nullptr;
        waiter* w = waiters.front();
        dequeue(*w);
        return w;
    }

    // A connection went away (or was never opened): its place goes to the first waiter, if any.
    void free_slot() {
        if (waiter* w = pop_waiter()) {
            w->slot = true;
            w->wake.cancel();
            return;
        }
        --size;
    }

    void give_back(std::unique_ptr<connection> c) {
        if (closed || !c->usable() || c->transaction_status() != PQTRANS_IDLE) {
            // Mid-transaction: the next user would inherit its locks and half-done work. Closing makes
            // the server roll it back.
            if (!closed && c->usable()) {
                log.warn("db_lease_returned_in_transaction", {{"backend_pid", c->backend_pid()}});
            }
            c.reset();
            free_slot();
            return;
        }
        if (waiter* w = pop_waiter()) {
            w->handed = std::move(c);
            w->wake.cancel();
            return;
        }
        idle.push_back(std::move(c));
    }

    void close() {
        closed = true;
        size -= idle.size();
        idle.clear();
        while (!waiters.empty()) {
            waiter* w = waiters.front();
            dequeue(*w);
            w->wake.cancel();
        }
    }

    static asio::awaitable<result<lease>> acquire(std::shared_ptr<pool_state> self,
                                                  steady_clock::time_point deadline);
};

namespace {

// Whatever a waiter still holds when its caller stops waiting (cancelled, timed out, exception) goes
// back to the pool, so that no connection or slot is ever lost.
class waiter_guard {
public:
    waiter_guard(pool_state& s, waiter& w) : s_(s), w_(w) {}
    ~waiter_guard() {
        s_.dequeue(w_);
        if (w_.handed) s_.give_back(std::move(w_.handed));
        if (std::exchange(w_.slot, false)) s_.free_slot();
    }
    waiter_guard(const waiter_guard&) = delete;
    waiter_guard& operator=(const waiter_guard&) = delete;

private:
    pool_state& s_;
    waiter& w_;
};

// A reserved slot is freed unless a connection ends up occupying it.
class slot_guard {
public:
    explicit slot_guard(pool_state& s) : s_(s) {}
    ~slot_guard() {
        if (!kept_) s_.free_slot();
    }
    void keep() noexcept { kept_ = true; }
    slot_guard(const slot_guard&) = delete;
    slot_guard& operator=(const slot_guard&) = delete;

private:
    pool_state& s_;
    bool kept_ = false;
};

bool is_cancelled(const asio::cancellation_state& cs) {
    return cs.cancelled() != asio::cancellation_type::none;
}

} // namespace

asio::awaitable<result<lease>> pool_state::acquire(std::shared_ptr<pool_state> self,
                                                   steady_clock::time_point deadline) {
    if (self->closed) co_return make_error_code(errc::cancelled);

    while (!self->idle.empty()) {
        auto c = std::move(self->idle.back());
        self->idle.pop_back();
        if (c->check_alive()) co_return lease(self, std::move(c));
        --self->size; // nobody waits while connections sit idle, so nobody to hand the slot to
    }

    if (self->size < self->config.max_size) {
        ++self->size;
    } else {
        if (self->waiters.size() >= self->config.max_waiters) {
            self->log.warn("db_pool_rejected", {{"waiting", self->waiters.size()}, {"size", self->size}});
            co_return make_error_code(errc::pool_timeout);
        }
        waiter w(self->executor, deadline);
        waiter_guard guard(*self, w);
        self->enqueue(w);
        bool aborted = false;
        try {
            co_await w.wake.async_wait(asio::as_tuple(asio::use_awaitable));
        } catch (const boost::system::system_error& e) {
            // Thrown instead of waiting when the coroutine was cancelled before the wait began.
            if (e.code() != asio::error::operation_aborted) throw;
            aborted = true;
        }
        // (Not inside the `||`: GCC may evaluate a co_await operand whether or not it is short-circuited.)
        auto cs = co_await asio::this_coro::cancellation_state;
        if (aborted || is_cancelled(cs)) co_return make_error_code(errc::cancelled);
        if (w.handed) co_return lease(self, std::move(w.handed));
        if (!std::exchange(w.slot, false)) {
            if (self->closed) co_return make_error_code(errc::cancelled);
            self->log.debug("db_pool_timeout", {{"waiting", self->waiters.size()}, {"size", self->size}});
            co_return make_error_code(errc::pool_timeout);
        }
    }

    // This caller now owns one slot of `size`; it is freed again unless a connection fills it.
    slot_guard slot(*self);
    const auto left = deadline - steady_clock::now();
    if (left <= steady_clock::duration::zero()) co_return make_error_code(errc::pool_timeout);
    const auto timeout = std::min<steady_clock::duration>(self->config.connect_timeout, left);
    auto c = co_await connection::connect(self->config.conninfo, self->config.application_name, timeout,
                                          self->log);
    if (!c) co_return c.error();
    if (self->closed) co_return make_error_code(errc::cancelled);
    slot.keep();
    co_return lease(self, std::move(*c));
}

} // namespace detail

lease::lease(std::shared_ptr<detail::pool_state> state, std::unique_ptr<connection> conn) noexcept
    : state_(std::move(state)), conn_(std::move(conn)) {
    if (conn_ && state_) state_->in_use.add();
}

lease& lease::operator=(lease&& other) noexcept {
    if (this != &other) {
        release();
        state_ = std::move(other.state_);
        conn_ = std::move(other.conn_);
    }
    return *this;
}

lease::~lease() {
    release();
}

void lease::release() noexcept {
    if (conn_ && state_) {
        state_->in_use.sub();
        state_->give_back(std::move(conn_));
    }
    conn_.reset();
    state_.reset();
}

pool::pool(asio::any_io_executor ex, pool_config config, logger log)
    : state_(std::make_shared<detail::pool_state>(std::move(ex), std::move(config), std::move(log))) {}

pool::~pool() {
    close();
}

asio::awaitable<result<lease>> pool::acquire(steady_clock::time_point deadline) {
    return detail::pool_state::acquire(state_, deadline);
}

namespace {

// Observes a call's duration when it ends, however it ends (error, cancellation, exception).
struct call_timer {
    metrics::histogram& h;
    steady_clock::time_point start = steady_clock::now();
    ~call_timer() { h.observe(std::chrono::duration<double>(steady_clock::now() - start).count()); }
};

} // namespace

asio::awaitable<result<pg_result>> pool::query(std::string_view sql, std::vector<param> params) {
    call_timer timed{state_->call_duration};
    const auto deadline = timed.start + state_->config.call_timeout;
    auto l = co_await acquire(deadline);
    if (!l) co_return l.error();
    auto r = co_await (*l)->query(sql, params, deadline);
    co_return r;
}

asio::awaitable<result<void>> pool::execute(std::string_view sql) {
    call_timer timed{state_->call_duration};
    const auto deadline = timed.start + state_->config.call_timeout;
    auto l = co_await acquire(deadline);
    if (!l) co_return l.error();
    auto r = co_await (*l)->execute(sql, deadline);
    co_return r;
}

void pool::close() {
    state_->close();
}

std::size_t pool::size() const noexcept {
    return state_->size;
}
std::size_t pool::idle() const noexcept {
    return state_->idle.size();
}
std::size_t pool::waiting() const noexcept {
    return state_->waiters.size();
}
const asio::any_io_executor& pool::get_executor() const noexcept {
    return state_->executor;
}

const pool_config& pool::config() const noexcept {
    return state_->config;
}

} // namespace eelchat::db
