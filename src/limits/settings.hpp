// Every limit that keeps one account or one client from hurting the others, with its default. Each is
// an environment variable (app/config.cpp reads them; README lists them). Counts "per address" are per
// client address as routes/session.hpp's client_address gives it, IPv6 addresses by their /64 (see
// net/address_policy.hpp's address_bucket).
#pragma once

#include <chrono>
#include <cstddef>

namespace eelchat::limits {

struct settings {
    // WebSockets open at once on one instance (WS_MAX_PER_USER, WS_MAX_PER_ADDRESS); beyond, the new
    // socket is closed with 1008 and a reason.
    std::size_t ws_per_user = 40; // each page holds two: its channel and its attention stream
    std::size_t ws_per_address = 200;
    // WS_IDLE_TIMEOUT: a socket whose client has not answered the keep-alive ping within this is closed.
    std::chrono::seconds ws_idle_timeout{60};
    // HTTP connections open at once from one address (HTTP_MAX_CONNECTIONS_PER_ADDRESS; not applied with
    // TRUST_PROXY=1, where every connection comes from the proxy: limit there).
    std::size_t http_connections_per_address = 256;

    // Messages posted per minute (MESSAGES_PER_MINUTE_PER_USER, MESSAGES_PER_MINUTE_PER_ADDRESS), each
    // a token bucket that holds a third of a minute's worth, so a short burst passes. Beyond: 429.
    unsigned messages_per_minute_per_user = 60;
    unsigned messages_per_minute_per_address = 600;

    // Sign-in emails in 15 minutes (SIGNIN_EMAILS_PER_CLIENT, SIGNIN_EMAILS_PER_ADDRESS): per client
    // address, and per email address from one client address. An email address also has a total over all
    // clients (SIGNIN_EMAILS_PER_EMAIL), which a browser that signed in to it before does not count
    // against, so nobody can use up someone else's sign-in.
    unsigned signin_emails_per_client = 20;
    unsigned signin_emails_per_email_and_client = 5;
    unsigned signin_emails_per_email = 20;
    // Wrong six-digit codes per email address in 24 hours (SIGNIN_CODE_GUESSES_PER_DAY); beyond, codes
    // for that address are refused (links still work) except in a browser that signed in to it before.
    unsigned signin_code_guesses_per_day = 10;

    // Feed subscriptions (FEEDS_MAX_PER_CHANNEL, FEEDS_MAX_PER_USER: all channels of communities the
    // user administers).
    unsigned feeds_per_channel = 20;
    unsigned feeds_per_user = 50;

    // Different emoji on one message (REACTIONS_MAX_KINDS_PER_MESSAGE); people in one direct
    // conversation, its starter included (DIRECT_MAX_PEOPLE). Edits, deletions and reactions count
    // against the posting rates above, like messages: each is an event every open page receives.
    unsigned reaction_kinds_per_message = 40;
    unsigned direct_max_people = 16;
    // Browsers one account may have subscribed to Web Push (PUSH_MAX_PER_USER); a new one beyond replaces
    // the oldest.
    unsigned push_subscriptions_per_user = 10;

    // Search (SEARCH_MAX_QUERY): the longest search, in characters; longer ones are refused with a
    // message. SEARCH_PAGE_SIZE: results per page ("More results" asks for the next).
    unsigned search_max_query = 200;
    unsigned search_page_size = 20;

    // Uploads. UPLOAD_MAX_MB: the largest file, in MiB (a larger one is refused from its announced size,
    // before its bytes are read). UPLOAD_QUOTA_MB: all the files one account has uploaded, in MiB (0: no
    // quota). UPLOAD_MAX_PER_MESSAGE: files attached to one message. PREVIEW_MAX_MB: images up to this
    // size get a thumbnail (the decoder reads the whole file); larger ones show as files.
    unsigned upload_max_mb = 25;
    unsigned upload_quota_mb = 2048;
    unsigned upload_max_per_message = 10;
    unsigned preview_max_mb = 25;
};

} // namespace eelchat::limits
