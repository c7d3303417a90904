// The realtime hub: one per process, on a thread of its own. It owns the LISTEN connection (through
// db::listener), remembers for each channel that has local subscribers the last sequence number it
// delivered, and when PostgreSQL announces new messages it reads forward from there, renders each message
// once and posts the batch to every worker thread once. Workers hand the same buffer to their sockets.
//
// Nothing is lost across a dropped listener connection or a PostgreSQL restart: after every (re)connect
// the listener LISTENs first and the hub then reads every tracked channel forward from what it delivered.
#pragma once

#include "core/log.hpp"
#include "db/error.hpp"
#include "db/pool.hpp"
#include "realtime/subscribers.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace eelchat::realtime {

class hub {
public:
    // Starts the hub's thread and its listener. `pool`: the hub's own connections, for reading new
    // messages; the listener connects to the same database (pool.conninfo) on a connection of its own.
    hub(db::pool_config pool, logger log);
    ~hub();
    hub(const hub&) = delete;
    hub& operator=(const hub&) = delete;

    // A worker's registry receives deliveries (posted to `ex`) until detach(). Any thread.
    void attach(boost::asio::any_io_executor ex, subscriber_registry* registry);
    void detach(subscriber_registry* registry);

    // Starts tracking a channel for a new subscriber (reference-counted). Completes, on the caller's
    // executor, with the last sequence number the hub has delivered (or will start delivering after) for
    // that channel: every message above it reaches the registries that were attached when track() was
    // called. Fails when the channel does not exist or the database is unreachable.
    boost::asio::awaitable<db::result<std::int64_t>> track(std::string channel_id);
    // Any thread; the subscriber is gone.
    void untrack(std::string channel_id);

    // Attention streams (realtime/streams.hpp). While a community is watched (reference-counted), every
    // new message in any of its channels reaches the workers' streams as a new_messages_frame, and so do
    // typing, read markers and presence. Completes once the hub follows the community.
    boost::asio::awaitable<void> watch(std::string community_id);
    void unwatch(std::string community_id); // any thread

    // This process's count of a user's open pages and visible ones changed by these amounts (any
    // thread). The hub keeps the counts in the presence table, writing only when one becomes or stops
    // being zero, and keeps this process's row in instances fresh.
    void presence_change(std::string user_id, int tabs, int visible);
    const std::string& instance_id() const;

    // `fn` runs on the hub's thread whenever notifications were queued for sending (an "n:" NOTIFY of
    // migration 0009) and after every reconnect of the listener (some may have been queued meanwhile).
    // It must not block: the push sender's wake(). Any thread.
    void on_notifications_queued(std::function<void()> fn);

    // Stops the listener and the thread; waits for it. Idempotent.
    void stop();

    // For tests and logs: whether the LISTEN connection is up, and how often it connected.
    bool listening() const;
    std::uint64_t listener_connects() const;
    int listener_backend_pid() const;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
    std::thread thread_;
};

} // namespace eelchat::realtime
