// From a conninfo string to the keyword/value arrays of PQconnectStartParams, with host names already
// resolved: libpq resolves them with a blocking getaddrinfo inside PQconnectStart, which would stall
// the I/O thread (for seconds when DNS is slow). We resolve with Asio's resolver and hand libpq the
// addresses as `hostaddr`, keeping `host` for TLS verification and error messages.
//
// Not covered: a host that only a `service=` entry names (pg_service.conf) is still resolved by libpq.
#pragma once

#include "core/log.hpp"
#include "db/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace eelchat::db {

// One entry of libpq's (comma-separated) host list, with its port ("" = the default).
struct connect_target {
    std::string host;
    std::string port;
};

struct conninfo_targets {
    std::vector<connect_target> targets;
    // The conninfo gives `hostaddr` itself, or its host and port lists do not match up: leave the
    // address handling to libpq, which then needs no DNS or reports the mismatch.
    bool leave_to_libpq = false;
};

// Pure apart from reading the PG* environment (PGHOST, PGPORT) for what the conninfo leaves out, as
// libpq would. nullopt if the conninfo does not parse; libpq's reason goes to `error`.
std::optional<conninfo_targets> parse_targets(const std::string& conninfo, std::string& error);

// True for a host that needs a DNS lookup: not empty, not a Unix socket directory ("/..." or "@..."),
// not an IPv4/IPv6 literal.
bool needs_dns(std::string_view host);

// One address to try, in libpq's order.
struct resolved_target {
    std::string host;
    std::string hostaddr; // "" for a socket directory
    std::string port;
};

// libpq's host, hostaddr and port values for these targets (comma-separated, position by position).
struct host_lists {
    std::string host;
    std::string hostaddr;
    std::string port;
};
host_lists join_targets(std::span<const resolved_target> targets);

struct connect_params {
    std::vector<std::string> keywords;
    std::vector<std::string> values;
};

// Resolves the conninfo's host names (each name expands to all its addresses, tried in order, as libpq
// does) and builds the parameters: dbname=<conninfo> (expanded by libpq), the resolved host lists,
// then application_name and client_encoding=UTF8 so that they win over the conninfo.
// Completes with errc::connect_failed (unparsable conninfo, no address for any host; logged at warn),
// errc::timeout at the deadline, or errc::cancelled. A lookup abandoned at the deadline finishes in the
// resolver's background thread; its result is then dropped.
boost::asio::awaitable<result<connect_params>>
prepare_connect_params(std::string conninfo, std::string application_name,
                       std::chrono::steady_clock::time_point deadline, logger log);

} // namespace eelchat::db
