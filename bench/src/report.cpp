#include "report.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>

namespace eelbench {

std::string thousands(double v) {
    const bool negative = v < 0;
    auto n = static_cast<unsigned long long>(std::llround(std::fabs(v)));
    std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return negative ? "-" + out : out;
}

std::string micros(std::uint64_t us) {
    char buf[32];
    if (us < 1000)
        std::snprintf(buf, sizeof buf, "%llu us", static_cast<unsigned long long>(us));
    else if (us < 1'000'000)
        std::snprintf(buf, sizeof buf, "%.1f ms", static_cast<double>(us) / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%.2f s", static_cast<double>(us) / 1e6);
    return buf;
}

void report::add(const std::string& key, boost::json::value v, const std::string& label,
                 const std::string& shown) {
    results[key] = std::move(v);
    rows.emplace_back(label, shown);
}

void report::add_rate(const std::string& key, double per_second, const std::string& label,
                      const std::string& unit) {
    add(key, per_second, label, thousands(per_second) + " " + unit);
}

void report::add_latency(const std::string& key, const histogram& h, const std::string& label) {
    boost::json::object o;
    o["count"] = h.count();
    o["p50_us"] = h.percentile(50);
    o["p90_us"] = h.percentile(90);
    o["p99_us"] = h.percentile(99);
    o["p99_9_us"] = h.percentile(99.9);
    o["max_us"] = h.max();
    results[key] = std::move(o);
    if (h.count() == 0) {
        rows.emplace_back(label, "(no samples)");
        return;
    }
    rows.emplace_back(label, "p50 " + micros(h.percentile(50)) + "  p90 " + micros(h.percentile(90)) +
                                 "  p99 " + micros(h.percentile(99)) + "  p99.9 " +
                                 micros(h.percentile(99.9)) + "  max " + micros(h.max()));
}

void report::add_deliveries(const delivery_counts& c, std::uint64_t expected) {
    boost::json::object o;
    o["expected"] = expected;
    o["delivered"] = c.delivered;
    o["lost"] = c.lost;
    o["duplicated"] = c.duplicated;
    o["out_of_order"] = c.out_of_order;
    o["foreign_frames"] = c.foreign;
    results["correctness"] = std::move(o);
    rows.emplace_back("deliveries checked", thousands(static_cast<double>(c.delivered)) + " of " +
                                                thousands(static_cast<double>(expected)) + " expected");
    rows.emplace_back("lost / duplicated / out of order", std::to_string(c.lost) + " / " +
                                                              std::to_string(c.duplicated) + " / " +
                                                              std::to_string(c.out_of_order));
    if (c.foreign) rows.emplace_back("unexpected frames", std::to_string(c.foreign));
    if (c.lost) failures.push_back(std::to_string(c.lost) + " deliveries lost");
    if (c.duplicated) failures.push_back(std::to_string(c.duplicated) + " deliveries duplicated");
    if (c.out_of_order) failures.push_back(std::to_string(c.out_of_order) + " deliveries out of order");
    if (c.foreign) failures.push_back(std::to_string(c.foreign) + " unexpected frames");
}

void report::add_errors(const std::string& key, std::uint64_t n, const std::string& label) {
    results[key] = n;
    if (n == 0) return;
    rows.emplace_back(label, std::to_string(n));
    failures.push_back(std::to_string(n) + " " + label);
}

void report::add_ratio(const std::string& key, double value, double baseline, const std::string& label) {
    if (baseline <= 0) return;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", value / baseline);
    add(key, value / baseline, label, buf);
}

void report::print() const {
    std::size_t width = 0;
    for (const auto& [label, _] : rows)
        width = std::max(width, label.size());
    std::cout << "\n== " << scenario << " ==\n";
    std::cout << " ";
    for (const auto& [k, v] : parameters) {
        std::cout << " " << k << "=";
        if (v.is_double())
            std::cout << v.as_double();
        else if (v.is_string())
            std::cout << v.as_string().c_str();
        else
            std::cout << boost::json::serialize(v);
    }
    std::cout << "\n";
    for (const auto& [label, shown] : rows)
        std::cout << "  " << label << std::string(width - label.size() + 2, ' ') << shown << "\n";
    for (const auto& w : warnings)
        std::cout << "  WARNING: " << w << "\n";
    if (failed()) {
        std::cout << "  FAILED:";
        for (const auto& f : failures)
            std::cout << " " << f << ";";
        std::cout << "\n";
    } else {
        std::cout << "  PASSED (nothing lost, duplicated or reordered; no errors)\n";
    }
    std::cout.flush();
}

boost::json::object report::to_json(const boost::json::object& machine, const std::string& commit) const {
    boost::json::object o;
    o["scenario"] = scenario;
    o["parameters"] = parameters;
    o["machine"] = machine;
    o["commit"] = commit;
    o["results"] = results;
    o["passed"] = !failed();
    boost::json::array f;
    for (const auto& s : failures)
        f.push_back(boost::json::string(s));
    o["failures"] = std::move(f);
    boost::json::array w;
    for (const auto& s : warnings)
        w.push_back(boost::json::string(s));
    o["warnings"] = std::move(w);
    return o;
}

} // namespace eelbench
