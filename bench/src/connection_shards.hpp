// More websockets than one process may open: a process here may hold 20,000 open files and the hard
// limit cannot be raised, so the connections scenario spreads its sockets over helper processes (each
// `eelbench --connections-shard ...`), one per share of at most `per_process` sockets. A helper derives
// the session cookies of its share from the world's tag (see setup.hpp), connects, reports on stdout,
// and on "finish <final seq>" from stdin waits for the deliveries and reports its delivery counts.
//
// Protocol (one line each): helper → "connected <ok> <failed>", bench → "finish <seq>",
// helper → "result <delivered> <duplicated> <out of order> <lost> <foreign> <dropped>".
#pragma once

#include "delivery_check.hpp"
#include "options.hpp"

#include <sys/types.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace eelbench {

// Subscriber number i of the scenario: instance i % instances, the world's member number i + 2 (member 1
// posts), so every process computes the same cookie for it.
std::string connection_cookie(const std::string& tag, std::size_t i);

class shard_process {
public:
    // Starts a helper for subscribers [first, first + count) of the channel at `path` (…/connect).
    shard_process(const std::vector<target_url>& urls, const std::string& path, const std::string& tag,
                  std::size_t first, std::size_t count, unsigned threads);
    ~shard_process();
    shard_process(const shard_process&) = delete;
    shard_process& operator=(const shard_process&) = delete;

    // Blocks until the helper reports its connections; false if it died.
    bool wait_connected(std::uint64_t& ok, std::uint64_t& failed);
    // Asks for the counts once every message up to `final_seq` should have arrived; blocks for them.
    bool finish(std::int64_t final_seq, delivery_counts& counts, std::uint64_t& dropped);

private:
    pid_t pid_ = -1;
    std::FILE* out_ = nullptr; // the helper's stdout
    int in_ = -1;              // the helper's stdin
};

// The helper's side (main() dispatches `--connections-shard` here).
int connections_shard_main(const std::vector<std::string>& args);

} // namespace eelbench
