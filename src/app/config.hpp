// eelchat's configuration, read from the environment at start.
#pragma once

#include "core/log.hpp"
#include "db/pool.hpp"
#include "limits/settings.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace eelchat {

// Outgoing mail over SMTP; without SMTP_HOST eelchat prints emails to standard output instead.
struct smtp_settings {
    std::string host;         // SMTP_HOST
    std::uint16_t port = 587; // SMTP_PORT
    std::string user;         // SMTP_USER (empty: no AUTH)
    std::string password;     // SMTP_PASSWORD
    std::string from;         // MAIL_FROM
    std::string ca_file;      // SMTP_CA_FILE: extra PEM bundle to trust (private relays)
    bool require_tls = true;  // SMTP_TLS=off allows a relay without STARTTLS (only on a trusted network)
};

// Where the Prometheus endpoint listens (METRICS_ADDR=host:port); a separate listener, off when unset.
struct metrics_address {
    std::string host;       // an IP address literal, IPv6 without its brackets
    std::uint16_t port = 0; // 0: any free port (tests)
};

// Single sign-on with an OpenID Connect provider; set only when OIDC_ISSUER, OIDC_CLIENT_ID and
// OIDC_CLIENT_SECRET all are.
struct oidc_settings {
    std::string issuer;                  // OIDC_ISSUER: https, or http on a loopback host
    std::string client_id;               // OIDC_CLIENT_ID
    std::string client_secret;           // OIDC_CLIENT_SECRET
    std::string name = "single sign-on"; // OIDC_NAME: the button says "Sign in with {name}"
};

struct config {
    std::string database_url;                   // DATABASE_URL: libpq key=value string or postgres:// URL
    std::string host = "127.0.0.1";             // HOST
    std::uint16_t port = 8080;                  // PORT (0: any free port, for tests)
    std::string base_url;                       // BASE_URL, default http://localhost:PORT, no trailing slash
    unsigned threads = 1;                       // THREADS, default: the number of cores
    log_level log_min = log_level::info;        // LOG_LEVEL
    log_format log_style = log_format::text;    // LOG_FORMAT: text (key=value) or json
    std::string assets_dir;                     // ASSETS_DIR, default: the build's public/ folder
    std::string uploads_dir;                    // UPLOADS_DIR: files in this directory, not in PostgreSQL
    std::size_t db_pool_size = 4;               // DB_POOL_SIZE, connections per thread
    std::chrono::milliseconds db_timeout{5000}; // DB_TIMEOUT_MS, deadline of one database call
    std::chrono::milliseconds shutdown_grace{10000}; // SHUTDOWN_GRACE_MS, time in-flight requests get
    // SHUTDOWN_DRAIN_MS: after SIGTERM, how long /readyz answers 503 while everything else is still served,
    // so that a load balancer's health check takes the instance out before its sockets close.
    std::chrono::milliseconds shutdown_drain{0};
    std::optional<smtp_settings> smtp; // set when SMTP_HOST is
    bool trust_proxy = false;          // TRUST_PROXY=1: client address from X-Forwarded-For (rate limits)
    // FEEDS_ALLOW_PRIVATE=1: feeds may live on loopback, private and link-local addresses (local setups,
    // tests). Off by default, so that a community admin cannot make the server fetch its own network.
    bool feeds_allow_private = false;
    // PUSH_ALLOW_PRIVATE=1: Web Push endpoints may be http and on non-public addresses (a push service on
    // your own network, tests). Off by default: a browser's endpoint must be https on a public address.
    bool push_allow_private = false;
    // PUSH_SUBJECT: the contact push services see in the VAPID token (mailto: or https:); default MAIL_FROM
    // as a mailto: when set, else BASE_URL.
    std::string push_subject;
    // NOTIFY_EMAIL_AFTER_MIN: email a person their notifications still unread after this many minutes;
    // 0 (the default) sends none.
    std::chrono::minutes notify_email_after{0};
    std::optional<oidc_settings> oidc; // set when OIDC_ISSUER is
    // EMAIL_SIGNIN=off: no emailed links or codes, single sign-on only (refused without OIDC_ISSUER, which
    // would leave nobody a way in).
    bool email_signin = true;
    limits::settings limits;                // WS_MAX_PER_USER and the other limits (see limits/settings.hpp)
    std::optional<metrics_address> metrics; // METRICS_ADDR
};

// Parses METRICS_ADDR's value: "127.0.0.1:9464", "[::1]:9464". nullopt when it is not host:port with an
// IP address for host.
std::optional<metrics_address> parse_metrics_address(std::string_view v);

// A configuration error: one line that says which variable is wrong and why.
struct config_error {
    std::string message;
};

// Lets boost::system::result<config, config_error>::value() throw.
[[noreturn]] void throw_exception_from_error(const config_error& e, const boost::source_location& loc);

using env_lookup = std::function<const char*(const char* name)>;

// Reads the configuration through `getenv` (pure: tests pass a map). `cores` is the default THREADS.
boost::system::result<config, config_error> parse_config(const env_lookup& getenv, unsigned cores);

// A database pool of this configuration: its DATABASE_URL and DB_TIMEOUT_MS, named `application_name` in
// pg_stat_activity, at most `max_size` connections.
db::pool_config database_pool(const config& cfg, std::string application_name, std::size_t max_size);

// The parts of a libpq connection string that are safe to log (never the password), as key=value pairs;
// an empty list when the string does not parse.
std::vector<std::pair<std::string, std::string>> describe_conninfo(const std::string& conninfo);

} // namespace eelchat
