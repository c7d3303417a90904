// The measuring window every scenario shares: warm up, open the window (the loader starts counting and
// recording latencies), wait, close it, with the watched servers' CPU time sampled at both ends.
#pragma once

#include "loader.hpp"
#include "proc_stats.hpp"
#include "report.hpp"

#include <functional>
#include <optional>
#include <vector>

namespace eelbench {

struct window_result {
    double seconds = 0;
    double load_average = 0; // 1-minute load average when the window opened: anything else running shows
    std::optional<process_sample> server_before;
    std::optional<process_sample> server_after;
    std::optional<process_sample> loader_before; // eelbench itself: is the loader the bottleneck?
    std::optional<process_sample> loader_after;
    // Server CPU cores busy on average during the window (nullopt without --server-pid).
    std::optional<double> server_cores() const;
};

// Sleeps `warmup`, then opens the window for `duration` seconds; `on_open` runs right after it opened
// and `on_close` right before it closes (e.g. to snapshot a counter kept outside the loader).
window_result measure_window(loader& threads, const std::vector<int>& server_pids, double warmup,
                             double duration, const std::function<void()>& on_open = {},
                             const std::function<void()>& on_close = {});

// Polls `done` every 10 ms until it is true or `limit_s` passed; returns done().
bool wait_until(const std::function<bool()>& done, double limit_s);

// Adds the CPU figures of a window: server cores busy and, when `work` > 0, µs of server CPU per unit;
// the loader's own cores busy.
void add_server_cpu(report& r, const window_result& w, double work, const std::string& unit);

} // namespace eelbench
