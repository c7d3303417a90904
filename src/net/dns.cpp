#include "net/dns.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <memory>
#include <optional>

namespace eelchat::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

asio::thread_pool& lookup_threads() {
    static asio::thread_pool pool(dns_threads); // lives until exit; its threads never touch an io_context
    return pool;
}

std::atomic<std::size_t> pending{0};

using handler_type = asio::any_completion_handler<void(error_code, tcp::resolver::results_type)>;

// What the lookup and its deadline share; touched only on the caller's executor.
struct lookup {
    explicit lookup(asio::any_io_executor ex) : timer(ex) {}
    asio::steady_timer timer;
    std::optional<handler_type> handler; // taken by whichever finishes first

    void finish(error_code ec, tcp::resolver::results_type results) {
        if (!handler) return;
        auto h = std::move(*handler);
        handler.reset();
        timer.cancel();
        std::move(h)(ec, std::move(results));
    }
};

} // namespace

asio::awaitable<lookup_result> resolve_host(asio::any_io_executor ex, std::string host, std::uint16_t port,
                                            std::chrono::milliseconds timeout) {
    if (pending.fetch_add(1) >= dns_max_pending) {
        pending.fetch_sub(1);
        co_return error_code(asio::error::no_buffer_space);
    }
    auto state = std::make_shared<lookup>(ex);
    auto start = [&](auto handler) {
        state->handler.emplace(std::move(handler));
        state->timer.expires_after(timeout);
        state->timer.async_wait([state](error_code ec) {
            if (!ec) state->finish(asio::error::timed_out, {});
        });
        asio::post(lookup_threads(), [state, ex, host = std::move(host), port] {
            tcp::resolver resolver(lookup_threads());
            error_code ec;
            auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::numeric_service, ec);
            pending.fetch_sub(1);
            asio::post(ex, [state, ec, results = std::move(results)]() mutable {
                state->finish(ec, std::move(results));
            });
        });
    };
    error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    auto results =
        co_await asio::async_initiate<decltype(token), void(error_code, tcp::resolver::results_type)>(start,
                                                                                                      token);
    if (ec) co_return ec;
    co_return results;
}

} // namespace eelchat::net
