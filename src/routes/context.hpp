// What a route handler gets: the request, its path parameters, the worker's services, and per-request
// state that middleware fills in (the browser's session, the parsed form, cookies to set).
#pragma once

#include "core/log.hpp"
#include "net/http.hpp"
#include "routes/router.hpp"

#include <atomic>
#include <optional>
#include <string>
#include <vector>

namespace eelchat::feeds {
class poller;
}
namespace eelchat::realtime {
class hub;
class subscriber_registry;
} // namespace eelchat::realtime
namespace eelchat::db {
class message_batcher;
class pool;
} // namespace eelchat::db
namespace eelchat::mail {
class mailer;
}
namespace eelchat::limits {
struct guards;
}
namespace eelchat::sso {
class client;
}
namespace eelchat::uploads {
class storage;
}
namespace boost::asio {
class thread_pool;
}
namespace eelchat::render {
class asset_store;
class page_renderer;
} // namespace eelchat::render

namespace eelchat::routes {

class form_data;

// What handlers need of the configuration (the app fills it from app/config.hpp).
struct settings {
    std::string base_url;             // BASE_URL, no trailing slash: links in emails, the WebSocket Origin
    bool trust_proxy = false;         // TRUST_PROXY=1: the client address from X-Forwarded-For
    bool feeds_allow_private = false; // FEEDS_ALLOW_PRIVATE=1: /subscribe accepts non-public hosts
    bool email_signin = true;         // EMAIL_SIGNIN=off: no emailed links or codes
    std::string sso_name;             // OIDC_NAME, when single sign-on is configured
    bool push_allow_private = false;  // PUSH_ALLOW_PRIVATE=1: push endpoints may be http and non-public
};

// The per-worker services handlers use. Everything here lives on the worker's thread.
struct services {
    const settings& cfg;
    logger log;
    db::pool& db;
    db::message_batcher& messages; // stores posted messages, several per transaction under load
    render::page_renderer& pages;
    const render::asset_store& assets;
    mail::mailer& mail;
    realtime::hub& hub;                         // process-wide, thread-safe entry points only
    realtime::subscriber_registry& subscribers; // this worker's WebSocket subscribers
    feeds::poller* feeds;                       // process-wide, thread-safe wake(); may be null
    limits::guards& limits;                     // process-wide, thread-safe
    sso::client* sso;                           // process-wide, thread-safe; null without OIDC_ISSUER
    std::string browser_key = {};               // server_keys 'browser', loaded on first use
    // Set from SIGTERM on: /readyz answers 503 so a load balancer stops sending new traffic here.
    const std::atomic<bool>* draining = nullptr;
    uploads::storage* files = nullptr;        // this worker's view of the file storage
    boost::asio::thread_pool* work = nullptr; // process-wide, for blocking work (sniffing, thumbnails)
};

struct signed_in_user {
    std::string id;
    std::string email;
    std::optional<std::string> display_name;
};

// The browser's session (see routes/session.hpp): signed in (a sessions row), or a visitor's, which
// the server keeps nothing of.
struct session_state {
    std::string token_hash;
    std::string csrf_token;
    std::optional<signed_in_user> user;
    bool stored = false; // a sessions row exists for it
};

struct request_context {
    net::http_request& req;
    net::request_info& info; // the handler may set streamed_response
    path_params params;
    services& svc;

    // Filled lazily by routes/session.cpp and routes/forms.cpp.
    bool session_loaded = false;
    std::optional<session_state> session;
    std::vector<std::string> set_cookies;  // Set-Cookie header values for the response
    std::shared_ptr<const form_data> form; // the parsed urlencoded body, once read
    net::websocket_runner websocket;       // set by a route that accepts a WebSocket upgrade
    // Set by dispatch, for metrics: the route pattern that matched, "static" for an asset, else "other".
    std::string_view route = "other";
};

} // namespace eelchat::routes
