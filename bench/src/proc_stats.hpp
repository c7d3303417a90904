// What the bench reads about processes and the machine from /proc: a server's resident memory and CPU
// time (the runner knows the pids; --server-pid for servers started elsewhere), and the machine
// description every JSON result carries.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace eelbench {

struct process_sample {
    std::uint64_t rss_bytes = 0; // VmRSS
    double cpu_seconds = 0;      // utime + stime, all threads
    std::int64_t at_ns = 0;      // when sampled
};

std::optional<process_sample> sample_process(int pid);

// Sums samples of several processes (one per instance); nullopt when any is unreadable.
std::optional<process_sample> sample_processes(const std::vector<int>& pids);

// cpu model, cores, kernel, memory.
boost::json::object machine_info();

// The commit under test: git rev-parse HEAD of the source tree eelbench was built from.
std::string source_commit();

// Raises the soft open-file limit to the hard limit; returns the resulting soft limit.
std::uint64_t raise_open_file_limit();

} // namespace eelbench
