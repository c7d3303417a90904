// eelbench's command line. Parsing is a pure function so tests can check it without running anything.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace eelbench {

// An eelchat instance as the bench reaches it: its BASE_URL (http only), which is also the Origin its
// websockets must present.
struct target_url {
    std::string base; // "http://127.0.0.1:8080", no trailing slash
    std::string host; // "127.0.0.1"
    std::uint16_t port = 80;
    std::string host_header; // "127.0.0.1:8080"
};

std::optional<target_url> parse_url(std::string_view url);

struct options {
    std::vector<std::string> scenarios; // empty: the standard suite
    std::vector<target_url> urls;
    std::string database_url;
    std::vector<int> server_pids;
    std::vector<std::string> server_settings; // NAME=VALUE the servers were started with (for the report)
    int subscribers = 10000;                  // fanout
    int small_subscribers = 1000;             // fanout_small
    int posters = 16;                         // ingest (and the raw INSERT baseline's concurrency)
    int channels = 16;                        // ingest; mixed uses channels * 8 (at least 32)
    int channel_subscribers = 3;              // ingest: subscribers per channel
    int connections = 19000;                  // connections: per instance
    int concurrency = 16;                     // history: requests in flight
    std::int64_t history_messages = 1000000;  // history: messages in its channel
    int in_flight = 8;                        // fanout: messages posted and not yet delivered everywhere
    int mixed_subscribers = 2000;             // mixed: total subscribers over its channels
    double rate = 200;                        // mixed: offered posts per second
    double zipf = 1.0;                        // mixed: exponent of channel sizes and posting rates
    double duration = 10;                     // seconds measured
    double warmup = 3;                        // seconds before measuring
    int message_size = 100;                   // bytes of message text
    int threads = 0;                          // loader threads (0: one per core)
    std::string json_path;
    std::string commit; // default: git rev-parse HEAD of the source tree
    bool skip_baselines = false;
    bool help = false;
};

struct parse_result {
    options opts;
    std::string error; // non-empty: print it and exit 2
};

parse_result parse_options(const std::vector<std::string>& args);

// The standard suite, in the order it runs.
const std::vector<std::string>& standard_scenarios();
bool is_known_scenario(const std::string& name);

std::string usage();

} // namespace eelbench
