// The feed poller: one per process, on a thread of its own (fetching and XML parsing never run on a
// request thread). Every `poll_every` it claims the subscriptions that are due (not fetched for
// `refetch_after`, or new) in PostgreSQL, fetches a few at a time, and posts new entries as system
// messages, which then reach browsers like any other message. Claims go through the database, so any
// number of instances may poll the same feeds and each fetch result is recorded once (see feed_store).
//
// A feed that fails (unreachable, slow, too big, not a feed) is recorded with its error and retried later
// with a growing delay; one broken feed never holds up the others.
#pragma once

#include "core/log.hpp"
#include "db/pool.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>

namespace eelchat::feeds {

struct poller_options {
    std::chrono::seconds poll_every{300};     // how often due feeds are looked for
    std::chrono::seconds refetch_after{1800}; // a feed fetched successfully is due again after this
    std::chrono::seconds lease{120};          // a claim outlives the longest fetch (30 s) with room
    std::size_t concurrent_fetches = 32;  // at once; each frees its place when done, for the next due feed
    std::size_t max_posts_per_fetch = 10; // new entries posted per fetch, the newest ones
    std::chrono::seconds connect_timeout{5};
    std::chrono::seconds read_timeout{5};
    bool allow_private = false;         // FEEDS_ALLOW_PRIVATE=1: hosts need not be public
    std::string user_agent = "eelchat"; // sent with every fetch
};

// The retry delay after `failures` consecutive failed fetches (1, 2, ...): 5 minutes, doubling, at most
// 12 hours.
std::chrono::seconds retry_delay(int failures);

class poller {
public:
    // Starts the thread; the first look for due feeds happens at once.
    // `pool`: the poller's own connections (two are plenty: fetching, not the database, takes the time).
    poller(db::pool_config pool, logger log, poller_options opts = {});
    ~poller();
    poller(const poller&) = delete;
    poller& operator=(const poller&) = delete;

    // Any thread: look for due feeds now (a subscription was just added).
    void wake();
    // Stops polling and waits for the thread. A fetch still in flight after a short grace is abandoned
    // (its claim runs out and another poll takes it up). Idempotent.
    void stop();

    // For tests: the number of finished looks for due feeds (each fetches everything then due).
    std::uint64_t rounds() const;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
    std::thread thread_;
};

} // namespace eelchat::feeds
