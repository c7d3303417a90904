#include "metrics/process.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

namespace eelchat::metrics {

namespace {

std::optional<std::string> read_file(const char* path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

template <class T> std::optional<T> number(std::string_view s) {
    T v{};
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// Entries of /proc/self/fd, less the one the listing itself holds open.
std::optional<std::int64_t> count_open_fds() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (!dir) return std::nullopt;
    std::int64_t n = 0;
    while (const dirent* e = ::readdir(dir))
        if (e->d_name[0] != '.') ++n;
    ::closedir(dir);
    return n - 1;
}

void gauge_sample(text_writer& out, std::string_view name, std::string_view help, double v) {
    out.header(name, help, metric_type::gauge);
    out.sample(name, {}, v);
}

void collect(text_writer& out) {
    if (auto fds = count_open_fds())
        gauge_sample(out, "process_open_fds", "Number of open file descriptors.", static_cast<double>(*fds));
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
        gauge_sample(out, "process_max_fds", "Maximum number of open file descriptors.",
                     static_cast<double>(lim.rlim_cur));
    auto text = read_file("/proc/self/stat");
    auto st = text ? parse_proc_stat(*text, ::sysconf(_SC_CLK_TCK), ::sysconf(_SC_PAGESIZE)) : std::nullopt;
    if (!st) return;
    gauge_sample(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
                 static_cast<double>(st->virtual_bytes));
    gauge_sample(out, "process_resident_memory_bytes", "Resident memory size in bytes.",
                 static_cast<double>(st->resident_bytes));
    out.header("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
               metric_type::counter);
    out.sample("process_cpu_seconds_total", {}, st->cpu_seconds);
    if (auto sys = read_file("/proc/stat"))
        if (auto boot = parse_boot_time(*sys))
            gauge_sample(out, "process_start_time_seconds",
                         "Start time of the process since unix epoch in seconds.",
                         *boot + st->start_after_boot);
}

} // namespace

std::optional<process_stat> parse_proc_stat(std::string_view text, long ticks_per_second, long page_size) {
    // The command name (field 2) is in parentheses and may itself hold spaces and parentheses: the
    // fields that follow start after the last ')'.
    const auto close = text.rfind(')');
    if (close == std::string_view::npos || ticks_per_second <= 0 || page_size <= 0) return std::nullopt;
    std::vector<std::string_view> fields; // fields[0] is field 3 (state)
    std::string_view rest = text.substr(close + 1);
    while (!rest.empty()) {
        const auto start = rest.find_first_not_of(" \n");
        if (start == std::string_view::npos) break;
        rest.remove_prefix(start);
        const auto end = rest.find_first_of(" \n");
        fields.push_back(rest.substr(0, end));
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end);
    }
    auto field = [&](std::size_t n) -> std::string_view {
        return n - 3 < fields.size() ? fields[n - 3] : "";
    };
    auto utime = number<std::uint64_t>(field(14));
    auto stime = number<std::uint64_t>(field(15));
    auto start = number<std::uint64_t>(field(22));
    auto vsize = number<std::uint64_t>(field(23));
    auto rss = number<std::int64_t>(field(24));
    if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
    const double tick = static_cast<double>(ticks_per_second);
    process_stat s;
    s.cpu_seconds = static_cast<double>(*utime + *stime) / tick;
    s.start_after_boot = static_cast<double>(*start) / tick;
    s.virtual_bytes = *vsize;
    s.resident_bytes =
        *rss < 0 ? 0 : static_cast<std::uint64_t>(*rss) * static_cast<std::uint64_t>(page_size);
    return s;
}

std::optional<double> parse_boot_time(std::string_view text) {
    for (std::size_t pos = 0; pos < text.size();) {
        auto end = text.find('\n', pos);
        std::string_view line =
            text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        if (line.starts_with("btime ")) {
            if (auto v = number<std::uint64_t>(line.substr(6))) return static_cast<double>(*v);
            return std::nullopt;
        }
        if (end == std::string_view::npos) break;
        pos = end + 1;
    }
    return std::nullopt;
}

void add_process_collector(registry& r) {
    r.add_collector(collect);
}

} // namespace eelchat::metrics
