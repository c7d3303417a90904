// Helpers shared by the database tests.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "db/connection.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace eelchat::test {

// For assertions on a db::result: Catch cannot print most of them (boost's operator<< for result needs
// a printable value), and a failure should show the error anyway. REQUIRE(ok(r)), CHECK(failed(r)).
template <class T> bool ok(const db::result<T>& r) {
    if (!r) UNSCOPED_INFO("error: " << r.error().message() << " [" << r.error().category().name() << "]");
    return r.has_value();
}

template <class T> bool failed(const db::result<T>& r) {
    if (r) UNSCOPED_INFO("unexpected success");
    return r.has_error();
}

inline std::chrono::steady_clock::time_point in(std::chrono::steady_clock::duration d) {
    return std::chrono::steady_clock::now() + d;
}

inline boost::asio::awaitable<std::unique_ptr<db::connection>> open_connection(std::string conninfo) {
    auto c = co_await db::connection::connect(std::move(conninfo), "eelchat-tests", std::chrono::seconds(5),
                                              logger::null());
    if (!c) FAIL("connect failed: " << c.error().message());
    co_return std::move(*c);
}

// Waits on the calling coroutine's executor (the tests' way to let time pass without blocking the loop).
inline boost::asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) {
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, d);
    co_await t.async_wait(boost::asio::use_awaitable);
}

} // namespace eelchat::test
