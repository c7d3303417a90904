// NOTIFY_EMAIL_AFTER_MIN: one email to each person whose notifications (mentions, direct messages, the
// channels they follow in full) have stayed unread that long, listing them with links. Notifications
// they read in the meantime (their read marker passed the message) are dropped without an email. The
// notifications are claimed in PostgreSQL, so any number of workers and instances may run this and each
// person gets one email per batch.
#pragma once

#include "core/log.hpp"
#include "db/push_store.hpp"
#include "mail/mailer.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

namespace eelchat::db {
class pool;
}

namespace eelchat::mail {

struct digest_options {
    std::chrono::minutes after{0};
    std::string base_url; // links in the email
    int max_people = 20;  // emails per pass
    int max_items = 10;   // messages listed in one email (the rest are counted)
    std::chrono::seconds lease{300};
};

// The email for one person's unread notifications (pure).
message digest_message(const db::claimed_email& e, const std::string& base_url);

// One pass: claims what is due, sends the emails, marks them done. Failures are logged; an email that
// could not be sent is tried again once its claim runs out.
boost::asio::awaitable<void> send_due_digests(db::pool& db, mailer& m, const digest_options& opts,
                                              logger log);

} // namespace eelchat::mail
