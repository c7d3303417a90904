#include "proc_stats.hpp"

#include "frames.hpp"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

namespace eelbench {

std::optional<process_sample> sample_process(int pid) {
    process_sample s;
    s.at_ns = now_ns();
    {
        std::ifstream status("/proc/" + std::to_string(pid) + "/status");
        if (!status) return std::nullopt;
        std::string line;
        while (std::getline(status, line)) {
            if (line.starts_with("VmRSS:")) {
                s.rss_bytes = std::stoull(line.substr(6)) * 1024; // reported in kB
                break;
            }
        }
    }
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string all;
    if (!stat || !std::getline(stat, all)) return std::nullopt;
    // The command name (field 2) may hold spaces; fields are counted after its closing parenthesis.
    auto close = all.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream rest(all.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; rest >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) {
            stime = std::stoull(field);
            break;
        }
    }
    s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    return s;
}

std::optional<process_sample> sample_processes(const std::vector<int>& pids) {
    if (pids.empty()) return std::nullopt;
    process_sample sum;
    for (int pid : pids) {
        auto s = sample_process(pid);
        if (!s) return std::nullopt;
        sum.rss_bytes += s->rss_bytes;
        sum.cpu_seconds += s->cpu_seconds;
        sum.at_ns = s->at_ns;
    }
    return sum;
}

boost::json::object machine_info() {
    boost::json::object m;
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
        if (line.starts_with("model name")) {
            auto colon = line.find(':');
            m["cpu"] = colon == std::string::npos ? line : line.substr(colon + 2);
            break;
        }
    }
    m["cores"] = std::thread::hardware_concurrency();
    utsname u{};
    if (::uname(&u) == 0) m["kernel"] = std::string(u.sysname) + " " + u.release;
    std::ifstream meminfo("/proc/meminfo");
    while (std::getline(meminfo, line)) {
        if (line.starts_with("MemTotal:")) {
            m["memory_bytes"] = std::stoull(line.substr(9)) * 1024;
            break;
        }
    }
    std::ifstream loadavg("/proc/loadavg");
    double load1 = 0;
    if (loadavg >> load1) m["load_average_1m_at_start"] = load1;
    return m;
}

std::string source_commit() {
    std::string cmd = "git -C '" EELBENCH_SOURCE_DIR "' rev-parse HEAD 2>/dev/null";
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
        char buf[128];
        while (std::fgets(buf, sizeof buf, p))
            out += buf;
        ::pclose(p);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
        out.pop_back();
    return out.empty() ? "unknown" : out;
}

std::uint64_t raise_open_file_limit() {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return 0;
    if (r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &r);
        ::getrlimit(RLIMIT_NOFILE, &r);
    }
    return r.rlim_cur;
}

} // namespace eelbench
