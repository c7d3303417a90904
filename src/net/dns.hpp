// Name lookups that neither block an I/O thread nor queue behind one another. Asio's resolver runs
// getaddrinfo on one background thread per io_context, so a single name whose DNS never answers holds up
// every later lookup of that worker (feeds, mail) until the system resolver gives up. Here lookups run on
// a small process-wide pool of threads, each has a deadline after which the caller goes on (the stuck
// thread finishes on its own), and at most max_pending lookups may be waiting or running at once.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace eelchat::net {

inline constexpr std::size_t dns_threads = 4;
inline constexpr std::size_t dns_max_pending = 64;

using lookup_result = boost::system::result<boost::asio::ip::tcp::resolver::results_type>;

// Resolves `host` (a numeric port in `port`). Fails with asio::error::timed_out after `timeout`, with
// asio::error::no_buffer_space when too many lookups are pending, else with getaddrinfo's error.
// `ex` must be an executor that runs one handler at a time (an io_context run by one thread, or a
// strand): the completion and the deadline meet there. Cancellation: none beyond the deadline.
boost::asio::awaitable<lookup_result> resolve_host(boost::asio::any_io_executor ex, std::string host,
                                                   std::uint16_t port, std::chrono::milliseconds timeout);

} // namespace eelchat::net
