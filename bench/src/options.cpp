#include "options.hpp"

#include <algorithm>
#include <charconv>

namespace eelbench {

std::optional<target_url> parse_url(std::string_view url) {
    constexpr std::string_view scheme = "http://";
    if (!url.starts_with(scheme)) return std::nullopt;
    std::string_view rest = url.substr(scheme.size());
    while (!rest.empty() && rest.back() == '/')
        rest.remove_suffix(1);
    if (rest.empty() || rest.find('/') != std::string_view::npos) return std::nullopt;
    target_url t;
    t.host_header = std::string(rest);
    auto colon = rest.rfind(':');
    if (colon != std::string_view::npos && rest.front() != '[') {
        unsigned port = 0;
        auto digits = rest.substr(colon + 1);
        auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
        if (ec != std::errc() || p != digits.data() + digits.size() || port == 0 || port > 65535)
            return std::nullopt;
        t.port = static_cast<std::uint16_t>(port);
        t.host = std::string(rest.substr(0, colon));
    } else {
        t.host = std::string(rest);
    }
    if (t.host.empty()) return std::nullopt;
    t.base = std::string(scheme) + t.host_header;
    return t;
}

const std::vector<std::string>& standard_scenarios() {
    // connections first: its memory per connection is only meaningful on a server that has not yet
    // grown its heap for another scenario's sockets.
    static const std::vector<std::string> all = {"connections", "fanout", "fanout_small", "ingest",
                                                 "history",     "search", "mixed"};
    return all;
}

bool is_known_scenario(const std::string& name) {
    const auto& all = standard_scenarios();
    return std::find(all.begin(), all.end(), name) != all.end();
}

namespace {

template <class T> bool parse_number(const std::string& s, T& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

} // namespace

parse_result parse_options(const std::vector<std::string>& args) {
    parse_result r;
    options& o = r.opts;
    auto fail = [&](std::string msg) {
        r.error = std::move(msg);
        return r;
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string name = args[i];
        std::string value;
        bool has_value = false;
        if (auto eq = name.find('='); eq != std::string::npos && name.starts_with("--")) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            has_value = true;
        }
        if (name == "--help" || name == "-h") {
            o.help = true;
            continue;
        }
        if (name == "--skip-baselines") {
            o.skip_baselines = true;
            continue;
        }
        if (!has_value) {
            if (i + 1 >= args.size()) return fail(name + " needs a value");
            value = args[++i];
        }
        auto integer = [&](int& out, int min, int max) {
            int v = 0;
            if (!parse_number(value, v) || v < min || v > max) {
                r.error = name + " must be a whole number from " + std::to_string(min) + " to " +
                          std::to_string(max) + ", got \"" + value + "\"";
                return false;
            }
            out = v;
            return true;
        };
        auto real = [&](double& out, double min, double max) {
            double v = 0;
            if (!parse_number(value, v) || v < min || v > max) {
                r.error = name + " must be a number from " + std::to_string(min) + " to " +
                          std::to_string(max) + ", got \"" + value + "\"";
                return false;
            }
            out = v;
            return true;
        };
        bool ok = true;
        if (name == "--scenario") {
            if (!is_known_scenario(value))
                return fail("unknown scenario \"" + value +
                            "\" (fanout, ingest, connections, history, search, mixed)");
            o.scenarios.push_back(value);
        } else if (name == "--url") {
            auto u = parse_url(value);
            if (!u)
                return fail("--url must look like http://host:port (the server's BASE_URL), got \"" + value +
                            "\"");
            o.urls.push_back(*u);
        } else if (name == "--database-url") {
            o.database_url = value;
        } else if (name == "--server-pid") {
            int pid = 0;
            ok = integer(pid, 1, 1 << 30);
            if (ok) o.server_pids.push_back(pid);
        } else if (name == "--server-setting") {
            if (value.find('=') == std::string::npos || value.front() == '=')
                return fail("--server-setting must look like NAME=VALUE, got \"" + value + "\"");
            o.server_settings.push_back(value);
        } else if (name == "--subscribers") {
            ok = integer(o.subscribers, 1, 1000000);
        } else if (name == "--small-subscribers") {
            ok = integer(o.small_subscribers, 1, 1000000);
        } else if (name == "--posters") {
            ok = integer(o.posters, 1, 4096);
        } else if (name == "--channels") {
            ok = integer(o.channels, 1, 100000);
        } else if (name == "--channel-subscribers") {
            ok = integer(o.channel_subscribers, 0, 10000);
        } else if (name == "--connections") {
            ok = integer(o.connections, 1, 1000000);
        } else if (name == "--concurrency") {
            ok = integer(o.concurrency, 1, 4096);
        } else if (name == "--history-messages") {
            int n = 0;
            ok = integer(n, 100, 100000000);
            if (ok) o.history_messages = n;
        } else if (name == "--in-flight") {
            ok = integer(o.in_flight, 1, 1024);
        } else if (name == "--mixed-subscribers") {
            ok = integer(o.mixed_subscribers, 1, 1000000);
        } else if (name == "--rate") {
            ok = real(o.rate, 0.1, 1e7);
        } else if (name == "--zipf") {
            ok = real(o.zipf, 0, 5);
        } else if (name == "--duration") {
            ok = real(o.duration, 0.1, 86400);
        } else if (name == "--warmup") {
            ok = real(o.warmup, 0, 86400);
        } else if (name == "--message-size") {
            ok = integer(o.message_size, 40, 4000);
        } else if (name == "--threads") {
            ok = integer(o.threads, 1, 256);
        } else if (name == "--json") {
            o.json_path = value;
        } else if (name == "--commit") {
            o.commit = value;
        } else {
            return fail("unknown flag " + name + " (see --help)");
        }
        if (!ok) return r;
    }
    if (o.help) return r;
    if (o.urls.empty())
        return fail("give at least one --url (the server's BASE_URL, e.g. http://127.0.0.1:8080)");
    if (o.database_url.empty())
        return fail("give --database-url (the server's database, for the setup step)");
    if (o.scenarios.empty()) o.scenarios = standard_scenarios();
    return r;
}

std::string usage() {
    return R"(eelbench: measures an eelchat server (or several) and checks every delivery.

usage: eelbench --url http://127.0.0.1:8080 --database-url postgresql://... [flags]

  --url URL              an instance's BASE_URL (repeatable: subscribers and connections spread over them)
  --database-url URL     the instances' PostgreSQL: bench users, sessions, communities, channels and the
                         history channel are created there in bulk before measuring (the setup step)
  --scenario NAME        connections, fanout, fanout_small, ingest, history, search or mixed
                         (repeatable; default: all seven)
  --server-pid PID       a server process to watch (memory, CPU); repeatable, one per --url
  --server-setting N=V   a setting the servers run with that the report should state, such as a raised
                         limit (repeatable; scripts/bench passes bench/server-limits.env)
  --subscribers N        fanout: subscribers of the one channel (10000)
  --small-subscribers N  fanout_small: the same with fewer subscribers (1000)
  --in-flight N          fanout: messages posted but not yet delivered everywhere (8)
  --posters N            ingest: concurrent posters, and the raw INSERT baseline's connections (16)
  --channels N           ingest: channels the posters spread over (16)
  --channel-subscribers N  ingest: subscribers per channel (3)
  --connections N        connections: idle websockets per instance (19000)
  --concurrency N        history, search: requests in flight (16)
  --history-messages N   history: messages in the history channel (1000000)
  --mixed-subscribers N  mixed: subscribers over all its channels (2000)
  --rate R               mixed: offered load, posts per second (200)
  --zipf S               mixed: Zipf exponent of channel sizes and posting rates (1.0)
  --duration SECONDS     measuring window of each scenario (10)
  --warmup SECONDS       load before the window opens (3)
  --message-size BYTES   message text length (100)
  --threads N            loader threads, one io_context each (default: one per core)
  --json PATH            also write the results as JSON (an array, one object per scenario)
  --commit SHA           the server's commit for the report (default: git rev-parse HEAD here)
  --skip-baselines       do not measure the raw INSERT and loopback websocket limits

Exit status: 0 when every scenario delivered every message once and in order, 1 when a scenario FAILED,
2 for bad flags or a setup error.
)";
}

} // namespace eelbench
