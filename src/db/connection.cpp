#include "db/connection.hpp"

#include "db/conninfo.hpp"

#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/socket.h>

#include <cerrno>

namespace eelchat::db {
namespace asio = boost::asio;
using std::chrono::steady_clock;

namespace {

std::string trimmed(const char* s) {
    std::string out = s ? s : "";
    while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
        out.pop_back();
    return out;
}

// Asio throws operation_aborted from a co_await started after the coroutine was cancelled; for our
// callers a cancelled operation is an error code like the others.
template <class T> asio::awaitable<result<T>> cancellation_as_error(asio::awaitable<result<T>> op) {
    try {
        co_return co_await std::move(op);
    } catch (const boost::system::system_error& e) {
        if (e.code() != asio::error::operation_aborted) throw;
    }
    co_return make_error_code(errc::cancelled);
}

bool is_sql_error(const boost::system::error_code& ec) {
    return ec.category() == sqlstate_category();
}

} // namespace

// Marks the connection busy for one operation. If the operation's frame unwinds without finish()
// (an exception, or the frame destroyed mid-flight), the protocol state is unknown: poison.
class connection::op_scope {
public:
    explicit op_scope(connection& c) noexcept : c_(c) {
        c_.busy_ = true;
        c_.last_error_.clear();
    }
    ~op_scope() {
        c_.busy_ = false;
        if (!finished_) c_.poison("operation abandoned");
    }
    op_scope(const op_scope&) = delete;
    op_scope& operator=(const op_scope&) = delete;

    // Poisons unless the outcome leaves the protocol in a known, idle state.
    template <class T> result<T> finish(result<T> r) {
        finished_ = true;
        if (!r && !is_sql_error(r.error())) c_.poison(r.error().message());
        return r;
    }
    // The operation ended early without touching the protocol.
    void finish_untouched() noexcept { finished_ = true; }

private:
    connection& c_;
    bool finished_ = false;
};

connection::connection(asio::any_io_executor ex, logger log)
    : executor_(ex), log_(std::move(log)), socket_(ex), timer_(ex) {}

connection::~connection() {
    // libpq owns the descriptor: Asio must forget it, not close it, before PQfinish closes it.
    if (socket_.is_open()) socket_.release();
    if (conn_) PQfinish(conn_);
}

asio::awaitable<result<std::unique_ptr<connection>>> connection::connect(std::string conninfo,
                                                                         std::string application_name,
                                                                         steady_clock::duration timeout,
                                                                         logger log) {
    auto ex = co_await asio::this_coro::executor;
    const auto deadline = steady_clock::now() + timeout;
    auto params = co_await cancellation_as_error(
        prepare_connect_params(std::move(conninfo), std::move(application_name), deadline, log));
    if (!params) co_return params.error();

    std::unique_ptr<connection> c(new connection(ex, std::move(log)));
    auto r = co_await cancellation_as_error(c->run_connect(params->keywords, params->values, deadline));
    if (!r) co_return r.error();
    co_return std::move(c);
}

asio::awaitable<result<void>> connection::run_connect(const std::vector<std::string>& keywords,
                                                      const std::vector<std::string>& values,
                                                      steady_clock::time_point deadline) {
    std::vector<const char*> k, v;
    for (std::size_t i = 0; i < keywords.size(); ++i) {
        k.push_back(keywords[i].c_str());
        v.push_back(values[i].c_str());
    }
    k.push_back(nullptr);
    v.push_back(nullptr);

    auto failed = [this](std::string_view stage) {
        last_error_ = trimmed(conn_ ? PQerrorMessage(conn_) : "out of memory");
        log_.warn("db_connect_failed", {{"stage", stage}, {"error", last_error_}});
        return make_error_code(errc::connect_failed);
    };

    conn_ = PQconnectStartParams(k.data(), v.data(), /*expand_dbname=*/1);
    if (!conn_ || PQstatus(conn_) == CONNECTION_BAD) co_return failed("start");
    // Without this, libpq prints server notices ("relation already exists, skipping") to stderr.
    PQsetNoticeReceiver(conn_, &connection::on_notice, this);
    if (PQsetnonblocking(conn_, 1) != 0) co_return failed("nonblocking");

    // libpq's rule: behave as if PQconnectPoll had asked to wait for writing.
    PostgresPollingStatusType status = PGRES_POLLING_WRITING;
    for (;;) {
        if (status == PGRES_POLLING_OK) break;
        if (status == PGRES_POLLING_FAILED) co_return failed("poll");
        if (status == PGRES_POLLING_READING || status == PGRES_POLLING_WRITING) {
            if (!adopt_socket()) co_return failed("socket");
            auto ev =
                co_await wait_io(status == PGRES_POLLING_READING, status == PGRES_POLLING_WRITING, deadline);
            if (ev == io_event::timeout) {
                log_.warn("db_connect_timeout", {});
                co_return make_error_code(errc::timeout);
            }
            if (ev == io_event::cancelled) co_return make_error_code(errc::cancelled);
            if (ev == io_event::failed) co_return failed("wait");
        }
        status = PQconnectPoll(conn_);
    }
    log_.debug("db_connected", {{"backend_pid", backend_pid()}});
    co_return result<void>{};
}

bool connection::adopt_socket() {
    // While connecting, libpq may close its socket and open another (next address, SSL refused, ...),
    // possibly under the same number; the old registration would then watch a dead file. Re-register
    // after every poll step: it is cheap, and only happens while connecting.
    const int fd = PQsocket(conn_);
    if (socket_.is_open()) socket_.release();
    if (fd < 0) return false;
    boost::system::error_code ec;
    socket_.assign(fd, ec);
    return !ec;
}

asio::awaitable<connection::io_event> connection::wait_io(bool want_read, bool want_write,
                                                          steady_clock::time_point deadline) {
    using asio::experimental::make_parallel_group;
    using asio::experimental::wait_for_one;
    using wait = asio::posix::stream_descriptor::wait_type;

    timer_.expires_at(deadline);
    io_event winner = io_event::failed;
    boost::system::error_code ec;
    bool aborted = false;
    try {
        if (want_read && want_write) {
            auto [order, ec_read, ec_write, ec_timer] =
                co_await make_parallel_group(socket_.async_wait(wait::wait_read, asio::deferred),
                                             socket_.async_wait(wait::wait_write, asio::deferred),
                                             timer_.async_wait(asio::deferred))
                    .async_wait(wait_for_one(), asio::use_awaitable);
            winner = order[0] == 0   ? io_event::readable
                     : order[0] == 1 ? io_event::writable
                                     : io_event::timeout;
            ec = order[0] == 0 ? ec_read : order[0] == 1 ? ec_write : ec_timer;
        } else {
            auto [order, ec_socket, ec_timer] =
                co_await make_parallel_group(
                    socket_.async_wait(want_read ? wait::wait_read : wait::wait_write, asio::deferred),
                    timer_.async_wait(asio::deferred))
                    .async_wait(wait_for_one(), asio::use_awaitable);
            winner = order[0] == 1 ? io_event::timeout : want_read ? io_event::readable : io_event::writable;
            ec = order[0] == 1 ? ec_timer : ec_socket;
        }
    } catch (const boost::system::system_error& e) {
        // Thrown, not run, when the coroutine was already cancelled before this wait began.
        if (e.code() != asio::error::operation_aborted) throw;
        aborted = true;
    }
    if (aborted) co_return io_event::cancelled;
    auto cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() != asio::cancellation_type::none) co_return io_event::cancelled;
    if (ec == asio::error::operation_aborted) co_return io_event::cancelled;
    if (ec) co_return io_event::failed;
    co_return winner;
}

boost::system::error_code connection::io_error(io_event e) {
    switch (e) {
    case io_event::timeout:
        return make_error_code(errc::timeout);
    case io_event::cancelled:
        return make_error_code(errc::cancelled);
    default:
        return lost("socket wait failed");
    }
}

boost::system::error_code connection::lost(std::string_view where) {
    last_error_ = trimmed(PQerrorMessage(conn_));
    if (last_error_.empty()) last_error_ = std::string(where);
    return make_error_code(errc::connection_lost);
}

void connection::poison(std::string_view reason) {
    if (!usable_) return;
    usable_ = false;
    log_.warn("db_connection_poisoned",
              {{"reason", reason}, {"backend_pid", backend_pid()}, {"detail", last_error_}});
}

void connection::drain_notifications() {
    while (PGnotify* n = PQnotifies(conn_)) {
        if (notifications_.size() < max_queued_notifications) {
            notifications_.push_back({n->relname, n->extra ? n->extra : "", n->be_pid});
        } else if (!overflowed_) {
            overflowed_ = true;
            log_.warn("db_notifications_overflowed", {{"queued", notifications_.size()}});
        }
        PQfreemem(n);
    }
}

asio::awaitable<result<void>> connection::flush(steady_clock::time_point deadline) {
    for (;;) {
        const int rc = PQflush(conn_);
        if (rc == 0) co_return result<void>{};
        if (rc < 0) co_return lost("flush failed");
        // The server may be blocked writing to us (notices, notifications) while we write to it: read too.
        auto ev = co_await wait_io(true, true, deadline);
        if (ev == io_event::readable) {
            if (!PQconsumeInput(conn_)) co_return lost("read failed");
            drain_notifications();
        } else if (ev != io_event::writable) {
            co_return io_error(ev);
        }
    }
}

asio::awaitable<result<pg_result>> connection::collect_results(steady_clock::time_point deadline) {
    pg_result last;
    boost::system::error_code first_error;
    for (;;) {
        while (PQisBusy(conn_)) {
            auto ev = co_await wait_io(true, false, deadline);
            if (ev != io_event::readable) co_return io_error(ev);
            if (!PQconsumeInput(conn_)) co_return lost("read failed");
            drain_notifications();
        }
        pg_result r(PQgetResult(conn_));
        if (!r) break;
        switch (PQresultStatus(r.native_handle())) {
        case PGRES_TUPLES_OK:
        case PGRES_COMMAND_OK:
        case PGRES_EMPTY_QUERY:
            last = std::move(r);
            break;
        case PGRES_FATAL_ERROR:
            if (!first_error) {
                last_error_ = trimmed(PQresultErrorMessage(r.native_handle()));
                const char* state = PQresultErrorField(r.native_handle(), PG_DIAG_SQLSTATE);
                first_error = state ? make_sqlstate_error(state) : make_error_code(errc::protocol_error);
                log_.debug("db_sql_error", {{"sqlstate", state ? state : ""}, {"message", last_error_}});
            }
            break;
        case PGRES_COPY_IN:
        case PGRES_COPY_OUT:
        case PGRES_COPY_BOTH:
            // We never start COPY; libpq would now wait for copy data forever.
            last_error_ = "unexpected COPY response";
            co_return make_error_code(errc::protocol_error);
        default:
            if (!first_error) {
                last_error_ = trimmed(PQresultErrorMessage(r.native_handle()));
                first_error = make_error_code(errc::protocol_error);
            }
            break;
        }
    }
    // A backend that dies mid-query (terminated, server shutdown) sends an error, then closes.
    if (PQstatus(conn_) == CONNECTION_BAD) {
        const std::string server_said = last_error_;
        auto ec = lost("connection closed");
        if (!server_said.empty() && server_said != last_error_)
            last_error_ = server_said + "; " + last_error_;
        co_return ec;
    }
    if (first_error) co_return first_error;
    co_return std::move(last);
}

asio::awaitable<result<pg_result>> connection::query(std::string_view sql, std::span<const param> params,
                                                     steady_clock::time_point deadline) {
    if (busy_) co_return make_error_code(errc::protocol_error);
    if (!usable_) co_return make_error_code(errc::connection_lost);
    if (params.size() > 65535) co_return make_error_code(errc::protocol_error);
    op_scope scope(*this);

    const std::string text(sql); // libpq wants NUL-terminated text
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params)
        values.push_back(p ? p->c_str() : nullptr);
    if (!PQsendQueryParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                           nullptr, nullptr, 0)) {
        co_return scope.finish(result<pg_result>(lost("send failed")));
    }
    auto r = co_await cancellation_as_error(send_and_collect(deadline));
    co_return scope.finish(std::move(r));
}

asio::awaitable<result<void>> connection::execute(std::string_view sql, steady_clock::time_point deadline) {
    if (busy_) co_return make_error_code(errc::protocol_error);
    if (!usable_) co_return make_error_code(errc::connection_lost);
    op_scope scope(*this);

    const std::string text(sql);
    if (!PQsendQuery(conn_, text.c_str())) co_return scope.finish(result<void>(lost("send failed")));
    auto r = co_await cancellation_as_error(send_and_collect(deadline));
    co_return scope.finish(r ? result<void>{} : result<void>(r.error()));
}

asio::awaitable<result<pg_result>> connection::send_and_collect(steady_clock::time_point deadline) {
    if (auto f = co_await flush(deadline); !f) co_return f.error();
    co_return co_await collect_results(deadline);
}

asio::awaitable<result<void>> connection::wait_readable_and_consume(steady_clock::time_point deadline) {
    if (busy_) co_return make_error_code(errc::protocol_error);
    if (!usable_) co_return make_error_code(errc::connection_lost);
    op_scope scope(*this);

    // Input an earlier operation left in libpq's buffer would never make the socket readable again.
    if (!PQconsumeInput(conn_)) co_return scope.finish(result<void>(lost("read failed")));
    drain_notifications();
    if (notifications_.empty()) {
        auto ev = co_await wait_io(true, false, deadline);
        if (ev == io_event::timeout || ev == io_event::cancelled) {
            // Nothing was in flight: an idle wait that ends early leaves the protocol intact.
            scope.finish_untouched();
            co_return make_error_code(ev == io_event::timeout ? errc::timeout : errc::cancelled);
        }
        if (ev != io_event::readable) co_return scope.finish(result<void>(io_error(ev)));
        if (!PQconsumeInput(conn_)) co_return scope.finish(result<void>(lost("read failed")));
        drain_notifications();
    }
    if (PQstatus(conn_) == CONNECTION_BAD) co_return scope.finish(result<void>(lost("connection closed")));
    co_return scope.finish(result<void>{});
}

std::vector<notification> connection::take_notifications() {
    std::vector<notification> out(std::make_move_iterator(notifications_.begin()),
                                  std::make_move_iterator(notifications_.end()));
    notifications_.clear();
    return out;
}

std::optional<notification> connection::pop_notification() {
    if (notifications_.empty()) return std::nullopt;
    notification n = std::move(notifications_.front());
    notifications_.pop_front();
    return n;
}

bool connection::check_alive() {
    if (!usable_ || busy_) return false;
    if (!PQconsumeInput(conn_) || PQstatus(conn_) == CONNECTION_BAD) {
        lost("read failed");
        poison("closed while idle");
        return false;
    }
    drain_notifications();
    // libpq reads what has arrived (say, a terminated backend's FATAL message) without noticing the
    // end of stream behind it; peeking one byte does. With TLS, pending bytes are records: not EOF.
    char byte;
    const auto n = ::recv(PQsocket(conn_), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        last_error_ = n == 0 ? "server closed the connection" : "socket error";
        poison("closed while idle");
        return false;
    }
    return true;
}

result<std::string> connection::escape_identifier(std::string_view name) const {
    char* quoted = PQescapeIdentifier(conn_, name.data(), name.size());
    if (!quoted) return make_error_code(errc::protocol_error);
    std::string out(quoted);
    PQfreemem(quoted);
    return out;
}

void connection::on_notice(void* self, const PGresult* res) {
    auto* c = static_cast<connection*>(self);
    if (!c->log_.enabled(log_level::debug)) return;
    const char* severity = PQresultErrorField(res, PG_DIAG_SEVERITY);
    const char* message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    c->log_.debug("db_notice", {{"severity", severity ? severity : ""}, {"message", message ? message : ""}});
}

} // namespace eelchat::db
