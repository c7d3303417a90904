// One libpq connection driven by Asio: the socket lives on the executor (thread) that connected it,
// libpq never blocks the thread, and every operation has a deadline.
#pragma once

#include "core/log.hpp"
#include "db/error.hpp"
#include "db/pg_result.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <libpq-fe.h>

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace eelchat::db {

// A query parameter in text format; nullopt is SQL NULL.
using param = std::optional<std::string>;

struct notification {
    std::string channel;
    std::string payload;
    int backend_pid = 0;
};

// Not thread-safe: use a connection only on the thread running its executor. One operation at a time:
// starting a second one while another is in flight completes at once with errc::protocol_error.
//
// Poisoning: an operation that times out, is cancelled, or fails on the socket leaves the protocol in
// an unknown state (the server may still be running the query), so the connection marks itself not
// usable(); the owner (the pool) must then destroy it. SQL errors do not poison: the connection stays
// usable and the error comes back as a sqlstate error code.
//
// Cancellation: every operation honours the cancellation slot of the awaiting coroutine (terminal
// cancellation, e.g. `co_await (conn.query(...) || timer.async_wait(use_awaitable))`) and completes
// with errc::cancelled once the pending wait is aborted. The `sql` and `params` views must stay valid
// until the operation completes (true when it is awaited directly).
class connection {
public:
    // Notifications buffered beyond this are dropped and overflowed() is set (see below).
    static constexpr std::size_t max_queued_notifications = 10000;

    // Opens a connection on the calling coroutine's executor. `conninfo` is a libpq key=value string or a
    // postgres:// URL; `application_name` overrides one given in it; the client encoding is UTF8.
    // Host names are resolved with Asio's asynchronous resolver first, because libpq would otherwise call
    // getaddrinfo on this thread. Completes with the connection, errc::connect_failed (unparsable
    // conninfo, unknown host, refused, authentication failed: details are logged at warn),
    // errc::timeout when `timeout` passes first, or errc::cancelled.
    static boost::asio::awaitable<result<std::unique_ptr<connection>>>
    connect(std::string conninfo, std::string application_name, std::chrono::steady_clock::duration timeout,
            logger log);

    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // Runs one statement with the extended protocol; text parameters ($1, $2, ...) and text results.
    // Completes with the result, a sqlstate error code (the server's message is in
    // last_error_message()), errc::timeout at the deadline, errc::connection_lost, errc::cancelled,
    // or errc::protocol_error (busy, COPY, ...).
    boost::asio::awaitable<result<pg_result>> query(std::string_view sql, std::span<const param> params,
                                                    std::chrono::steady_clock::time_point deadline);

    // Runs one or more statements with the simple protocol (migrations, BEGIN/COMMIT), discarding
    // their rows. Completes like query(); on an error, it is the first statement's error that is kept.
    boost::asio::awaitable<result<void>> execute(std::string_view sql,
                                                 std::chrono::steady_clock::time_point deadline);

    // For a LISTEN connection between operations: waits until the socket is readable, consumes the
    // input and queues the notifications it carried (completes at once if some are already queued).
    // Idle waiting is the normal state of a listener, so errc::timeout at the deadline and
    // errc::cancelled do NOT poison the connection here; errc::connection_lost does.
    boost::asio::awaitable<result<void>>
    wait_readable_and_consume(std::chrono::steady_clock::time_point deadline);

    // Notifications received so far, oldest first; they accumulate during any operation too.
    std::vector<notification> take_notifications();
    std::optional<notification> pop_notification();
    // True once a notification was dropped because the queue was full: the listener must stop trusting
    // notifications and resync from the tables, then reset_overflowed().
    bool overflowed() const noexcept { return overflowed_; }
    void reset_overflowed() noexcept { overflowed_ = false; }

    // Without waiting: reads whatever the server sent while the connection sat idle (a pooled
    // connection whose backend was terminated has a pending error and EOF). False, and poisoned, if the
    // connection turns out to be broken. Call it only between operations.
    bool check_alive();

    // Quotes an identifier (a LISTEN channel, a table name) with PQescapeIdentifier.
    result<std::string> escape_identifier(std::string_view name) const;

    // False for good once poisoned; also false while an operation is in flight (not returnable yet).
    bool usable() const noexcept { return usable_ && !busy_; }
    bool busy() const noexcept { return busy_; }
    PGTransactionStatusType transaction_status() const noexcept { return PQtransactionStatus(conn_); }
    int backend_pid() const noexcept { return PQbackendPID(conn_); }
    // The server's (or libpq's) message for the last error, for logs; never for clients.
    const std::string& last_error_message() const noexcept { return last_error_; }
    const boost::asio::any_io_executor& get_executor() const noexcept { return executor_; }

private:
    enum class io_event { readable, writable, timeout, cancelled, failed };
    class op_scope;

    connection(boost::asio::any_io_executor ex, logger log);

    boost::asio::awaitable<result<void>> run_connect(const std::vector<std::string>& keywords,
                                                     const std::vector<std::string>& values,
                                                     std::chrono::steady_clock::time_point deadline);
    boost::asio::awaitable<io_event> wait_io(bool want_read, bool want_write,
                                             std::chrono::steady_clock::time_point deadline);
    boost::asio::awaitable<result<void>> flush(std::chrono::steady_clock::time_point deadline);
    boost::asio::awaitable<result<pg_result>> collect_results(std::chrono::steady_clock::time_point deadline);
    boost::asio::awaitable<result<pg_result>>
    send_and_collect(std::chrono::steady_clock::time_point deadline);
    // Registers libpq's current socket with the reactor; false if libpq has none.
    bool adopt_socket();
    void drain_notifications();
    boost::system::error_code io_error(io_event e);
    boost::system::error_code lost(std::string_view where);
    void poison(std::string_view reason);
    static void on_notice(void* self, const PGresult* res);

    boost::asio::any_io_executor executor_;
    logger log_;
    PGconn* conn_ = nullptr;
    boost::asio::posix::stream_descriptor socket_;
    boost::asio::steady_timer timer_;
    std::deque<notification> notifications_;
    std::string last_error_;
    bool usable_ = true;
    bool busy_ = false;
    bool overflowed_ = false;
};

} // namespace eelchat::db
