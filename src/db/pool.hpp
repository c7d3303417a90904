// A small pool of database connections for ONE thread. The server runs one io_context per thread and
// gives each its own pool, so nothing here locks: a pool, its leases and its connections must only be
// used from coroutines running on that thread.
//
// Connections open lazily, on demand, and a broken one is thrown away when its lease comes back. So
// when the database goes down, calls fail fast (connect_failed on a refused connection) or at their
// deadline (a server that hangs), and once it is back the next calls simply connect again; there is no
// background reconnect loop.
#pragma once

#include "core/log.hpp"
#include "db/connection.hpp"
#include "db/error.hpp"
#include "db/pg_result.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace eelchat::db {

struct pool_config {
    std::string conninfo;
    std::size_t max_size = 4;
    std::chrono::milliseconds call_timeout{5000};
    std::chrono::milliseconds connect_timeout{5000};
    std::string application_name = "eelchat";
    // Callers allowed to queue for a connection; beyond this, acquire fails at once (load shedding).
    std::size_t max_waiters = 1024;
};

namespace detail {
struct pool_state;
}

// Exclusive use of one pooled connection. Move-only; returns the connection on destruction (or
// release()): a connection that is no longer usable() or is still inside a transaction is closed
// instead of reused, and a queued caller is woken either way.
class lease {
public:
    lease() noexcept = default;
    lease(lease&&) noexcept = default;
    lease& operator=(lease&& other) noexcept;
    ~lease();

    connection& get() const noexcept { return *conn_; }
    connection& operator*() const noexcept { return *conn_; }
    connection* operator->() const noexcept { return conn_.get(); }
    explicit operator bool() const noexcept { return conn_ != nullptr; }

    // Gives the connection back now; the lease is empty afterwards.
    void release() noexcept;

private:
    friend struct detail::pool_state;
    lease(std::shared_ptr<detail::pool_state> state, std::unique_ptr<connection> conn) noexcept;

    // The state, not the pool: a lease may outlive the pool object, and then closes its connection.
    std::shared_ptr<detail::pool_state> state_;
    std::unique_ptr<connection> conn_;
};

class pool {
public:
    // `ex` is the executor of the thread that will use the pool (its io_context's); every caller must run
    // there.
    pool(boost::asio::any_io_executor ex, pool_config config, logger log);
    // close()s the pool; outstanding leases stay valid and close their connections when returned.
    ~pool();
    pool(const pool&) = delete;
    pool& operator=(const pool&) = delete;

    // Completes with a lease on an idle connection (checked for a server-side close first), a new one
    // if fewer than max_size exist, or the first one returned while this caller waits in line (FIFO).
    // Errors: errc::pool_timeout at the deadline or at once when max_waiters callers already wait;
    // the connect errors of connection::connect (connect_failed, timeout); errc::cancelled if the
    // awaiting coroutine is cancelled or the pool is closed.
    boost::asio::awaitable<result<lease>> acquire(std::chrono::steady_clock::time_point deadline);

    // acquire + connection::query + release, all under one deadline of config.call_timeout.
    // Completes like those (a cancelled call is errc::cancelled, and its connection, if it had one, is
    // closed rather than reused); `sql` must stay valid until completion.
    boost::asio::awaitable<result<pg_result>> query(std::string_view sql, std::vector<param> params = {});
    // acquire + connection::execute + release under one deadline of config.call_timeout.
    boost::asio::awaitable<result<void>> execute(std::string_view sql);

    // For shutdown: closes idle connections, fails waiting callers with errc::cancelled, and makes
    // every later acquire fail the same way.
    void close();

    // Open connections, including leased ones and those being opened.
    std::size_t size() const noexcept;
    std::size_t idle() const noexcept;
    std::size_t waiting() const noexcept;
    const pool_config& config() const noexcept;
    const boost::asio::any_io_executor& get_executor() const noexcept;

private:
    std::shared_ptr<detail::pool_state> state_;
};

} // namespace eelchat::db
