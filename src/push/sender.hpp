// The Web Push sender: one per process, on a thread of its own. It claims the notifications the database
// queued (migration 0009) and sends each to every browser its person subscribed, encrypted (RFC 8291)
// and signed with the installation's VAPID key (RFC 8292). Claims go through PostgreSQL, so with any
// number of instances each notification is sent once.
//
// Nothing is sent to a person who has a visible eelchat tab at that moment, who may no longer read the
// channel, or for a deleted message. A subscription the push service calls gone (404, 410) is removed; a
// push service that is busy or down (429, 5xx, no answer) is tried again later, a few times, with growing
// delays; any other refusal is logged and dropped.
#pragma once

#include "core/log.hpp"
#include "db/pool.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace eelchat::push {

struct sender_options {
    bool allow_private = false;  // PUSH_ALLOW_PRIVATE=1: endpoints on private addresses, and http
    std::string subject;         // the VAPID "sub": a mailto: or https: contact for the push services
    bool email_after = false;    // NOTIFY_EMAIL_AFTER_MIN is set: a pushed notification waits for the email
    std::size_t concurrent = 16; // notifications being sent at once
    int max_attempts = 5;        // tries of a push service that keeps failing
    std::chrono::seconds ttl{24 * 3600}; // how long a push service keeps a message for an offline browser
    // A claim outlives the longest send: `timeout` for each of a person's subscriptions, one after the
    // other (PUSH_MAX_PER_USER of them at the default 10), with room.
    std::chrono::seconds lease{200};
    std::chrono::seconds poll_every{30}; // a look for due retries, besides being woken
    std::chrono::milliseconds timeout{15000}; // one request to a push service
};

// The delay before try `attempt` + 1 after try `attempt` failed: 10 s, then five times longer each time,
// at most an hour.
std::chrono::seconds retry_delay(int attempt);

class sender {
public:
    // Starts the thread: loads (or makes) the installation's VAPID keys, then sends what is due.
    sender(db::pool_config pool, logger log, sender_options opts);
    ~sender();
    sender(const sender&) = delete;
    sender& operator=(const sender&) = delete;

    // Any thread: notifications were queued.
    void wake();
    // Stops and waits for the thread (a send in flight is abandoned after a short grace; its claim runs
    // out and another instance sends it). Idempotent.
    void stop();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
    std::thread thread_;
};

} // namespace eelchat::push
