// The standard process metrics of Prometheus client libraries (process_open_fds, process_max_fds,
// process_resident_memory_bytes, process_virtual_memory_bytes, process_cpu_seconds_total,
// process_start_time_seconds), read from /proc/self at scrape time: nothing runs between scrapes.
#pragma once

#include "core/metrics.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace eelchat::metrics {

// What /proc/self/stat says, in base units.
struct process_stat {
    double cpu_seconds = 0;      // utime + stime
    double start_after_boot = 0; // seconds after boot
    std::uint64_t virtual_bytes = 0;
    std::uint64_t resident_bytes = 0;
};

// Parses the text of /proc/<pid>/stat (pure, for tests). `ticks_per_second` is sysconf(_SC_CLK_TCK),
// `page_size` sysconf(_SC_PAGESIZE). nullopt when the text has not the expected shape.
std::optional<process_stat> parse_proc_stat(std::string_view text, long ticks_per_second, long page_size);

// The "btime" line of /proc/stat: the boot time, in seconds since the epoch.
std::optional<double> parse_boot_time(std::string_view proc_stat_text);

// Adds the collector to `r`. Reading costs a few small files and one directory listing (/proc/self/fd,
// as long as the process has open files: a websocket each).
void add_process_collector(registry& r);

} // namespace eelchat::metrics
