// One scenario's outcome: its parameters, its figures (for the JSON file) and the same figures as the
// rows of the table printed on stdout, plus the correctness verdict.
#pragma once

#include "delivery_check.hpp"
#include "histogram.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <utility>
#include <vector>

namespace eelbench {

struct report {
    std::string scenario;
    boost::json::object parameters;
    boost::json::object results;
    std::vector<std::pair<std::string, std::string>> rows; // label, shown value
    std::vector<std::string> failures;                     // empty: PASSED
    // What makes the figures doubtful without making them wrong, e.g. a loader that measured itself.
    std::vector<std::string> warnings;

    bool failed() const { return !failures.empty(); }

    // A figure: stored under `key`, shown as `label` with `shown`.
    void add(const std::string& key, boost::json::value v, const std::string& label,
             const std::string& shown);
    // Rate figure (per second), shown with thousands separators.
    void add_rate(const std::string& key, double per_second, const std::string& label,
                  const std::string& unit);
    // A latency histogram in microseconds: p50, p90, p99, p99.9, max.
    void add_latency(const std::string& key, const histogram& h, const std::string& label);
    // The correctness counts; any non-zero count (or an error count) adds a failure.
    void add_deliveries(const delivery_counts& c, std::uint64_t expected);
    void add_errors(const std::string& key, std::uint64_t n, const std::string& label);
    // eelchat's figure divided by a baseline's (omitted when the baseline was not measured).
    void add_ratio(const std::string& key, double value, double baseline, const std::string& label);

    void print() const;
    boost::json::object to_json(const boost::json::object& machine, const std::string& commit) const;
};

std::string thousands(double v);
std::string micros(std::uint64_t us); // "850 µs", "12.3 ms", "1.20 s"

} // namespace eelbench
