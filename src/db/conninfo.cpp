#include "db/conninfo.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace eelchat::db {
namespace asio = boost::asio;

namespace {

// One hostname can have many addresses; libpq tries them in order and so do we, up to a point.
constexpr std::size_t max_addresses_per_host = 8;

std::vector<std::string> split_commas(std::string_view s) {
    std::vector<std::string> out;
    if (s.empty()) return out;
    std::size_t start = 0;
    for (;;) {
        auto comma = s.find(',', start);
        out.emplace_back(s.substr(start, comma == std::string_view::npos ? s.npos : comma - start));
        if (comma == std::string_view::npos) return out;
        start = comma + 1;
    }
}

std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// The lookup result lives here, not in the coroutine frame: at the deadline the coroutine returns
// while the resolver's background thread may still be inside getaddrinfo.
struct lookup {
    explicit lookup(const asio::any_io_executor& ex) : resolver(ex), done_signal(ex) {}
    asio::ip::tcp::resolver resolver;
    asio::steady_timer done_signal; // cancelled when the lookup completes
    bool done = false;
    boost::system::error_code ec;
    std::vector<std::string> addresses;
};

asio::awaitable<result<std::vector<std::string>>> resolve(std::string host,
                                                          std::chrono::steady_clock::time_point deadline) {
    auto ex = co_await asio::this_coro::executor;
    auto state = std::make_shared<lookup>(ex);
    state->done_signal.expires_at(deadline);
    state->resolver.async_resolve(
        host, "", [state](boost::system::error_code ec, asio::ip::tcp::resolver::results_type results) {
            state->done = true;
            state->ec = ec;
            for (const auto& entry : results) {
                auto a = entry.endpoint().address().to_string();
                if (std::find(state->addresses.begin(), state->addresses.end(), a) ==
                        state->addresses.end() &&
                    state->addresses.size() < max_addresses_per_host) {
                    state->addresses.push_back(std::move(a));
                }
            }
            state->done_signal.cancel();
        });
    co_await state->done_signal.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!state->done) {
        auto cs = co_await asio::this_coro::cancellation_state;
        if (cs.cancelled() != asio::cancellation_type::none) co_return make_error_code(errc::cancelled);
        co_return make_error_code(errc::timeout);
    }
    if (state->ec || state->addresses.empty()) co_return make_error_code(errc::connect_failed);
    co_return std::move(state->addresses);
}

} // namespace

std::optional<conninfo_targets> parse_targets(const std::string& conninfo, std::string& error) {
    char* err = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &err);
    if (!options) {
        error = err ? err : "out of memory parsing the connection string";
        while (!error.empty() && (error.back() == '\n' || error.back() == ' '))
            error.pop_back();
        PQfreemem(err);
        return std::nullopt;
    }
    std::optional<std::string> host, hostaddr, port;
    for (auto* o = options; o->keyword; ++o) {
        std::string_view k = o->keyword;
        if (!o->val) continue;
        if (k == "host")
            host = o->val;
        else if (k == "hostaddr")
            hostaddr = o->val;
        else if (k == "port")
            port = o->val;
    }
    PQconninfoFree(options);

    // What the conninfo leaves out, libpq takes from the environment.
    if (!host) host = env_or_empty("PGHOST");
    if (!hostaddr) hostaddr = env_or_empty("PGHOSTADDR");
    if (!port) port = env_or_empty("PGPORT");

    conninfo_targets out;
    if (!hostaddr->empty()) {
        out.leave_to_libpq = true;
        return out;
    }
    auto hosts = split_commas(*host);
    auto ports = split_commas(*port);
    if (hosts.empty()) hosts.emplace_back();
    if (ports.size() > 1 && ports.size() != hosts.size()) {
        out.leave_to_libpq = true;
        return out;
    }
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        std::string p = ports.empty() ? "" : ports.size() == 1 ? ports[0] : ports[i];
        out.targets.push_back({std::move(hosts[i]), std::move(p)});
    }
    return out;
}

bool needs_dns(std::string_view host) {
    if (host.empty() || host.front() == '/' || host.front() == '@') return false;
    boost::system::error_code ec;
    asio::ip::make_address(std::string(host), ec);
    return static_cast<bool>(ec);
}

host_lists join_targets(std::span<const resolved_target> targets) {
    host_lists out;
    bool any_port = false;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (i > 0) {
            out.host += ',';
            out.hostaddr += ',';
            out.port += ',';
        }
        out.host += targets[i].host;
        out.hostaddr += targets[i].hostaddr;
        out.port += targets[i].port;
        any_port = any_port || !targets[i].port.empty();
    }
    // A list of empty ports would still be a list; no port at all lets libpq use its default.
    if (!any_port) out.port.clear();
    return out;
}

asio::awaitable<result<connect_params>> prepare_connect_params(std::string conninfo,
                                                               std::string application_name,
                                                               std::chrono::steady_clock::time_point deadline,
                                                               logger log) {
    std::string error;
    auto parsed = parse_targets(conninfo, error);
    if (!parsed) {
        log.warn("db_conninfo_invalid", {{"error", error}});
        co_return make_error_code(errc::connect_failed);
    }

    connect_params params;
    params.keywords.push_back("dbname");
    params.values.push_back(conninfo);

    const bool any_dns = std::any_of(parsed->targets.begin(), parsed->targets.end(),
                                     [](const connect_target& t) { return needs_dns(t.host); });
    if (!parsed->leave_to_libpq && any_dns) {
        std::vector<resolved_target> resolved;
        for (auto& t : parsed->targets) {
            if (!needs_dns(t.host)) {
                // An IP literal is its own address; a socket directory has none.
                std::string addr =
                    t.host.empty() || t.host.front() == '/' || t.host.front() == '@' ? "" : t.host;
                resolved.push_back({t.host, std::move(addr), t.port});
                continue;
            }
            auto addresses = co_await resolve(t.host, deadline);
            if (!addresses) {
                if (addresses.error() != errc::connect_failed) co_return addresses.error();
                // Like libpq with an unknown host among several: skip it, try the others.
                log.warn("db_host_unresolved", {{"host", t.host}});
                continue;
            }
            for (auto& a : *addresses)
                resolved.push_back({t.host, std::move(a), t.port});
        }
        if (resolved.empty()) co_return make_error_code(errc::connect_failed);
        auto lists = join_targets(resolved);
        params.keywords.insert(params.keywords.end(), {"host", "hostaddr"});
        params.values.insert(params.values.end(), {std::move(lists.host), std::move(lists.hostaddr)});
        if (!lists.port.empty()) {
            params.keywords.push_back("port");
            params.values.push_back(std::move(lists.port));
        }
    }

    params.keywords.insert(params.keywords.end(), {"application_name", "client_encoding"});
    params.values.insert(params.values.end(), {std::move(application_name), "UTF8"});
    co_return params;
}

} // namespace eelchat::db
