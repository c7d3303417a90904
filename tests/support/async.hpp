// Runs a coroutine to completion inside a test, with a hard time limit: a test that would hang fails
// instead, and one that completes but leaves work behind (a timer, a pending socket operation) fails too.
#pragma once

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <type_traits>

namespace eelchat::test {

enum class leftovers { forbid, allow };

template <class T>
T run_async(boost::asio::io_context& ctx, boost::asio::awaitable<T> op,
            std::chrono::milliseconds limit = std::chrono::seconds(20), leftovers policy = leftovers::forbid) {
    using stored = std::conditional_t<std::is_void_v<T>, bool, T>;
    std::optional<stored> out;
    std::exception_ptr error;
    bool done = false;
    if constexpr (std::is_void_v<T>) {
        boost::asio::co_spawn(ctx, std::move(op), [&](std::exception_ptr e) {
            error = e;
            done = true;
            if (!e) out = true;
        });
    } else {
        boost::asio::co_spawn(ctx, std::move(op), [&](std::exception_ptr e, T v) {
            error = e;
            done = true;
            if (!e) out.emplace(std::move(v));
        });
    }
    ctx.restart();
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done && std::chrono::steady_clock::now() < deadline) {
        if (ctx.run_one_until(deadline) == 0 && ctx.stopped()) break;
    }
    if (!done) {
        // Let the abandoned coroutine unwind so its destructors do not run after the test's locals are gone.
        ctx.stop();
        FAIL("coroutine did not complete within " << limit.count() << " ms");
    }
    if (policy == leftovers::forbid) {
        ctx.poll();
        if (!ctx.stopped()) {
            ctx.stop();
            FAIL("coroutine completed but left work behind on the io_context");
        }
    }
    if (error) std::rethrow_exception(error);
    if constexpr (!std::is_void_v<T>) return std::move(*out);
}

} // namespace eelchat::test
