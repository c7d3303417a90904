#include "measure.hpp"

#include "frames.hpp"
#include "scenario.hpp"

#include <cstdio>
#include <optional>
#include <thread>

#include <unistd.h>

namespace eelbench {

void sleep_seconds(double s) {
    if (s > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(static_cast<std::int64_t>(s * 1e9)));
}

std::optional<double> window_result::server_cores() const {
    if (!server_before || !server_after || seconds <= 0) return std::nullopt;
    return (server_after->cpu_seconds - server_before->cpu_seconds) / seconds;
}

window_result measure_window(loader& threads, const std::vector<int>& pids, double warmup, double duration,
                             const std::function<void()>& on_open, const std::function<void()>& on_close) {
    sleep_seconds(warmup);
    window_result w;
    if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(f, "%lf", &w.load_average) != 1) w.load_average = 0;
        std::fclose(f);
    }
    w.server_before = sample_processes(pids);
    w.loader_before = sample_process(::getpid());
    const auto t0 = now_ns();
    threads.recording.store(true);
    if (on_open) on_open();
    sleep_seconds(duration);
    if (on_close) on_close();
    threads.recording.store(false);
    const auto t1 = now_ns();
    w.server_after = sample_processes(pids);
    w.loader_after = sample_process(::getpid());
    w.seconds = static_cast<double>(t1 - t0) / 1e9;
    return w;
}

bool wait_until(const std::function<bool()>& done, double limit_s) {
    const auto deadline = now_ns() + static_cast<std::int64_t>(limit_s * 1e9);
    while (!done()) {
        if (now_ns() >= deadline) return false;
        sleep_seconds(0.01);
    }
    return true;
}

void add_server_cpu(report& r, const window_result& w, double work, const std::string& unit) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", w.load_average);
    r.add("load_average_1m", w.load_average, "machine load average (1 min)", buf);
    std::optional<double> loader_us;
    if (w.loader_before && w.loader_after && w.seconds > 0) {
        const double loader = (w.loader_after->cpu_seconds - w.loader_before->cpu_seconds) / w.seconds;
        std::snprintf(buf, sizeof buf, "%.2f cores", loader);
        r.add("loader_cpu_cores", loader, "loader (eelbench) CPU", buf);
        if (work > 0) {
            loader_us = loader * w.seconds * 1e6 / work;
            std::snprintf(buf, sizeof buf, "%.2f us", *loader_us);
            r.add("loader_cpu_us_per_" + unit, *loader_us, "loader CPU per " + unit, buf);
        }
    }
    auto cores = w.server_cores();
    if (!cores) return;
    std::snprintf(buf, sizeof buf, "%.2f cores", *cores);
    r.add("server_cpu_cores", *cores, "server CPU", buf);
    if (work > 0) {
        const double us = *cores * w.seconds * 1e6 / work;
        std::snprintf(buf, sizeof buf, "%.2f us", us);
        r.add("server_cpu_us_per_" + unit, us, "server CPU per " + unit, buf);
        // On one machine the loader's CPU is taken from the server's: a loader working harder per unit
        // than the server measures itself as much as the server.
        if (loader_us && *loader_us > us) {
            std::snprintf(buf, sizeof buf, "%.2f us against the server's %.2f us", *loader_us, us);
            r.warnings.push_back("the loader used more CPU per " + unit + " than the server (" + buf +
                                 "): these figures are partly the loader's");
        }
    }
}

void add_load_parameters(report& r, const bench_context& ctx) {
    r.parameters["instances"] = ctx.instances.size();
    r.parameters["loader_threads"] = ctx.threads;
    r.parameters["message_bytes"] = ctx.opts.message_size;
    r.parameters["warmup_s"] = ctx.opts.warmup;
    r.parameters["duration_s"] = ctx.opts.duration;
}

} // namespace eelbench
