// Notifications in PostgreSQL: the installation's VAPID keys, the browsers subscribed to Web Push, and
// the queue of messages people are to be told about (filled by a trigger on messages, see migration
// 0009). Claims make each queued notification the work of one instance at a time.
#pragma once

#include "db/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace eelchat::db {

class pool;

// Base64url of the raw key bytes (see migration 0009).
struct stored_vapid_keys {
    std::string private_key;
    std::string public_key;
};
// The installation's keys: `fresh` is stored when there are none yet; whichever instance stored first
// wins, and every instance gets that pair.
boost::asio::awaitable<result<stored_vapid_keys>> installation_vapid_keys(pool& db, stored_vapid_keys fresh);

// The stored public key (base64url), nullopt before any instance made the pair.
boost::asio::awaitable<result<std::optional<std::string>>> vapid_public_key(pool& db);

struct push_subscription_row {
    std::string id;
    std::string endpoint;
    std::string p256dh; // base64url
    std::string auth;   // base64url
};

// Stores the browser's subscription for the user (moving it if another user had that endpoint), then
// keeps only the user's `max_per_user` newest.
boost::asio::awaitable<result<void>> save_push_subscription(pool& db, std::string user_id,
                                                            push_subscription_row sub, int max_per_user);
// The user turned notifications off in that browser. true when there was such a subscription.
boost::asio::awaitable<result<bool>> delete_push_subscription(pool& db, std::string user_id,
                                                              std::string endpoint);
// The push service says the subscription is gone (404, 410).
boost::asio::awaitable<result<void>> forget_push_subscription(pool& db, std::string subscription_id);
boost::asio::awaitable<result<int>> count_push_subscriptions(pool& db, std::string user_id);

// A queued notification claimed for sending, with what the notification shows.
struct claimed_notification {
    std::int64_t id = 0;
    std::string user_id;
    int attempts = 0; // including this one
    std::string message_id;
    std::string channel_id;
    std::string community_id;
    std::string channel_kind;  // public, private, direct
    std::string channel_title; // for a direct conversation, its stored title (pages show the names)
    std::string community_title;
    std::string author_name;
    std::string text;
    // Not to be sent: the user has a visible eelchat tab right now, may no longer read the channel, or
    // the message was deleted.
    bool visible = false;
    bool readable = true;
    bool deleted = false;
    std::vector<push_subscription_row> subscriptions; // those still to send to
};
// Claims up to `limit` notifications due for their push, for `lease`.
boost::asio::awaitable<result<std::vector<claimed_notification>>>
claim_push_notifications(pool& db, int limit, std::chrono::seconds lease);
// After a try: `pending` are the subscriptions to try again after `retry_in`; empty, the push is done.
// `email`: whether the notification still waits to be emailed (else it is deleted when done).
boost::asio::awaitable<result<void>> finish_push(pool& db, std::int64_t id, std::vector<std::string> pending,
                                                 std::chrono::seconds retry_in, bool email);
// The earliest time a queued push is due (nullopt: none queued), to sleep until then.
boost::asio::awaitable<result<std::optional<std::chrono::seconds>>> next_push_due_in(pool& db);

// NOTIFY_EMAIL_AFTER_MIN: a user's notifications queued more than `after` ago that they have still not
// read (their read marker of the channel is below the message), claimed for one email.
struct email_item {
    std::string channel_title;
    std::string channel_kind;
    std::string community_id;
    std::string channel_id;
    std::string message_id;
    std::string author_name;
    std::string text;
};
struct claimed_email {
    std::string user_id;
    std::string email;
    std::vector<std::int64_t> ids; // every notification the email covers (read ones included: done too)
    std::vector<email_item> items; // the unread ones, oldest first, at most `max_items`
};
boost::asio::awaitable<result<std::vector<claimed_email>>> claim_due_emails(pool& db,
                                                                            std::chrono::seconds after,
                                                                            int max_users, int max_items,
                                                                            std::chrono::seconds lease);
// The email went (or was not needed): the notifications are done.
boost::asio::awaitable<result<void>> finish_emails(pool& db, std::vector<std::int64_t> ids);

// Housekeeping: notifications still queued after a week (an email that never went, a setting that
// changed) are dropped. Returns how many.
boost::asio::awaitable<result<std::int64_t>> prune_notifications(pool& db);

// A member's choice for a channel: "all", "mentions" or "none"; "" returns to the default.
boost::asio::awaitable<result<void>> set_notify_level(pool& db, std::string channel_id,
                                                      std::string membership_id, std::string level);
// The member's choice ("" for the default).
boost::asio::awaitable<result<std::string>> notify_level_of(pool& db, std::string channel_id,
                                                            std::string membership_id);

} // namespace eelchat::db
