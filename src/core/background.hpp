// Stopping a background thread (the feed poller's, the push sender's) that runs an io_context of its own.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <thread>

namespace eelchat {

// Waits up to `grace` for `thread` to finish (its work was told to stop). If it does not, stops `ctx`,
// joins, and keeps `state` alive for good: coroutine frames abandoned in `ctx` still point into it, and
// destroying it under them would crash a process that is only exiting. Returns false when it had to.
bool join_or_abandon(std::thread& thread, boost::asio::io_context& ctx, std::chrono::milliseconds grace,
                     std::shared_ptr<void> state);

} // namespace eelchat
