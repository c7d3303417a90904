// Group commit for posted messages. Every commit that sends a NOTIFY takes PostgreSQL's global notify
// lock until it is durable, so one transaction per message serialises all posters behind one WAL flush
// each. The batcher stores the messages that arrive while a write is in flight together, in one statement
// (one transaction, one flush, one NOTIFY per channel), numbering each channel's messages in arrival order.
// When nothing else is waiting a message is written alone, at once: batching adds no delay.
//
// One batcher per worker thread; every call on that thread. Messages are never dropped: a message whose
// poster went away (closed connection) is still stored.
#pragma once

#include "core/log.hpp"
#include "db/error.hpp"
#include "db/message_store.hpp"
#include "db/pool.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace eelchat::db {

struct message_batcher_options {
    std::size_t max_batch = 64;     // messages per statement
    std::size_t max_writers = 1;    // statements in flight at once (each holds a pool connection)
    std::size_t max_pending = 4096; // beyond this, post() fails at once with pool_timeout (503)
};

class message_batcher {
public:
    message_batcher(pool& db, logger log, message_batcher_options opts = {});
    ~message_batcher();
    message_batcher(const message_batcher&) = delete;
    message_batcher& operator=(const message_batcher&) = delete;

    // As db::post_message (same results: the stored message, a duplicate of an earlier client id, or
    // foreign_key_violation when the channel is gone), possibly written together with other messages.
    // Completes when the message is durably stored or has failed. Cancellation: none; the message is
    // written even if the caller goes away.
    boost::asio::awaitable<result<posted_message>> post(new_message m);

    // Messages waiting for a writer, and statements in flight (for tests and logs).
    std::size_t pending() const noexcept { return queue_.size(); }
    std::size_t writing() const noexcept { return writers_; }

private:
    struct item;
    boost::asio::awaitable<void> write_loop();
    boost::asio::awaitable<void> write_batch(std::vector<std::shared_ptr<item>> batch);
    boost::asio::awaitable<void> write_alone(std::shared_ptr<item> it);

    pool& db_;
    logger log_;
    message_batcher_options opts_;
    std::deque<std::shared_ptr<item>> queue_;
    std::size_t writers_ = 0;
};

} // namespace eelchat::db
