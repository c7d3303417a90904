#include "net/server.hpp"

#include "net/address_bucket.hpp"
#include "net/http_session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/socket.h>

namespace eelchat::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

// One thread's share of the server: its io_context, acceptor, connections and handler.
class worker {
public:
    worker(unsigned index, logger log) : index_(index), log_(std::move(log)), acceptor_(ctx_) {}

    asio::io_context& context() { return ctx_; }

    // Opens this worker's acceptor on the shared address with SO_REUSEPORT: the kernel spreads incoming
    // connections over the workers' sockets. Returns the bound port.
    std::uint16_t bind(const tcp::endpoint& ep) {
        acceptor_.open(ep.protocol());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        int one = 1;
        if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
            throw boost::system::system_error(error_code(errno, boost::system::system_category()),
                                              "setsockopt(SO_REUSEPORT)");
        acceptor_.bind(ep);
        acceptor_.listen(asio::socket_base::max_listen_connections);
        return acceptor_.local_endpoint().port();
    }

    void run(const server::handler_factory& factory, server_limits limits, std::atomic<std::uint64_t>& ids,
             connection_caps& per_address) {
        handler_ = factory(ctx_);
        asio::co_spawn(ctx_, accept_loop(limits, ids, per_address),
                       log_exceptions{log_, "accept_loop_failed"});
        ctx_.run();
        // Destroy the handler (pools, sockets) while the io_context it uses still exists. After a forced
        // stop, suspended coroutines may still refer to it: then it is left alone (see server::join).
        if (!forced_) handler_.reset();
    }

    // Any thread: abandon whatever still runs.
    void force_stop() {
        forced_ = true;
        ctx_.stop();
    }

    // Runs on this worker's thread.
    void begin_shutdown() {
        if (registry_.stopping()) return;
        error_code ec;
        acceptor_.close(ec);
        registry_.begin_shutdown();
        if (handler_) handler_->shutdown();
    }

private:
    asio::awaitable<void> accept_loop(server_limits limits, std::atomic<std::uint64_t>& ids,
                                      connection_caps& per_address) {
        asio::steady_timer backoff(ctx_);
        while (acceptor_.is_open()) {
            error_code ec;
            tcp::socket socket =
                co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
            if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
            if (ec) {
                // Typically EMFILE: out of file descriptors. Back off briefly instead of spinning; the
                // pending connection stays in the backlog until a descriptor frees up.
                log_.warn("accept_failed", {{"worker", index_}, {"error", ec.message()}});
                backoff.expires_after(std::chrono::milliseconds(50));
                co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                continue;
            }
            connection_caps::ticket place;
            if (limits.max_connections_per_address != 0) {
                const auto peer = socket.remote_endpoint(ec);
                if (ec) continue; // gone already
                place =
                    per_address.acquire(address_bucket(peer.address()), limits.max_connections_per_address);
                if (!place) {
                    log_.debug("connection_refused",
                               {{"remote", peer.address().to_string()}, {"why", "per-address cap"}});
                    socket.close(ec);
                    continue;
                }
            }
            socket.set_option(tcp::no_delay(true), ec);
            asio::co_spawn(ctx_,
                           serve_http_connection(std::move(socket), *handler_, registry_, limits, log_, ids),
                           [log = log_, place = std::move(place)](std::exception_ptr e) {
                               log_exceptions{log, "connection_failed"}(e);
                           });
        }
    }

    unsigned index_;
    logger log_;
    asio::io_context ctx_{1}; // concurrency hint 1: this context is only ever run by one thread
    tcp::acceptor acceptor_;
    connection_registry registry_;
    std::unique_ptr<http_handler> handler_;
    std::atomic<bool> forced_{false};
};

server::server(server_options opts, handler_factory factory, logger log)
    : opts_(std::move(opts)), factory_(std::move(factory)), log_(std::move(log)) {}

server::~server() {
    if (!threads_.empty()) {
        stop();
        join(std::chrono::milliseconds(0));
    }
}

void server::start() {
    static std::atomic<std::uint64_t> request_ids{1};
    auto address = asio::ip::make_address(opts_.host);
    tcp::endpoint ep(address, opts_.port);
    const unsigned n = opts_.threads == 0 ? 1 : opts_.threads;
    for (unsigned i = 0; i < n; ++i) {
        workers_.push_back(std::make_unique<worker>(i, log_));
        // With port 0 the first worker picks a port and the others join it.
        ep.port(workers_.back()->bind(ep));
    }
    port_ = ep.port();
    running_ = n;
    for (auto& w : workers_) {
        threads_.emplace_back([this, w = w.get()] {
            try {
                w->run(factory_, opts_.limits, request_ids, *per_address_);
            } catch (const std::exception& e) {
                log_.error("worker_failed", {{"what", e.what()}});
            }
            std::lock_guard lock(done_mutex_);
            --running_;
            done_cv_.notify_all();
        });
    }
}

void server::stop() {
    if (stopping_.exchange(true)) return;
    for (auto& w : workers_)
        asio::post(w->context(), [w = w.get()] { w->begin_shutdown(); });
}

void server::force_stop() {
    forced_ = true;
    for (auto& w : workers_)
        w->force_stop();
}

bool server::join(std::chrono::milliseconds grace) {
    bool clean;
    {
        std::unique_lock lock(done_mutex_);
        clean = done_cv_.wait_for(lock, grace, [this] { return running_ == 0; });
    }
    // Threads that ended because of a forced stop left coroutines behind, like a timeout does.
    if (forced_) clean = false;
    if (!clean) force_stop();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
    if (!clean) {
        // Coroutines abandoned by the forced stop still sit in their io_context and refer to the
        // worker's handler and registry; destroying the worker would run their destructors against freed
        // state. The process is about to exit, so the workers are deliberately leaked instead.
        for (auto& w : workers_)
            (void)w.release();
        workers_.clear();
    }
    return clean;
}

void server::for_each_worker(std::function<void(asio::io_context&)> fn) {
    for (auto& w : workers_)
        asio::post(w->context(), [fn, &ctx = w->context()] { fn(ctx); });
}

} // namespace eelchat::net
