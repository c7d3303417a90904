// Prometheus metrics: counters, gauges and histograms with fixed buckets, grouped in labelled families
// in one process-wide registry, and the text exposition format (version 0.0.4) a scrape reads.
//
// Hot paths pay one relaxed atomic add: a metric is a plain atomic, a labelled child is resolved once
// (family::with) and kept by reference, and children never move or die before their family. with() takes
// no lock once a child exists (an open-addressing table of atomic pointers, written only under the
// family's mutex), so even a per-request lookup (route, method, status) allocates and locks nothing.
// Cardinality is bounded: past max_children a family hands out one overflow child labelled "other".
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace eelchat::metrics {

// A monotonically increasing count. Own cache line: the hot ones are bumped from several threads.
class alignas(64) counter {
public:
    void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down (open sockets, connections in use).
class alignas(64) gauge {
public:
    void add(std::int64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    void sub(std::int64_t n = 1) noexcept { value_.fetch_sub(n, std::memory_order_relaxed); }
    void set(std::int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
    std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> value_{0};
};

// Observations counted into fixed buckets (upper bounds, ascending; +Inf is implicit). Each bucket holds
// its own count, not the cumulative one, so observe() touches one bucket and the sum; a scrape adds them
// up. A scrape racing observations may see a sum a few observations apart from the counts, which
// Prometheus tolerates (rates over minutes).
class histogram {
public:
    // `bounds` must outlive the histogram (a static array of the caller's).
    explicit histogram(std::span<const double> bounds);

    void observe(double v) noexcept;

    std::span<const double> bounds() const noexcept { return bounds_; }
    // Per bucket, not cumulative; the last one is +Inf.
    std::uint64_t bucket_count(std::size_t i) const noexcept {
        return counts_[i].value.load(std::memory_order_relaxed);
    }
    double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

private:
    struct alignas(8) slot {
        std::atomic<std::uint64_t> value{0};
    };
    std::span<const double> bounds_;
    std::unique_ptr<slot[]> counts_; // bounds_.size() + 1
    std::atomic<double> sum_{0.0};
};

// Common bucket layouts.
extern const std::array<double, 14> latency_buckets; // 0.5 ms .. 10 s
extern const std::array<double, 9> size_buckets;     // 1, 2, 4 .. 256

enum class metric_type { counter, gauge, histogram };

// Writes the exposition format. Families first write their header, then their samples.
class text_writer {
public:
    using label = std::pair<std::string_view, std::string_view>;

    void header(std::string_view name, std::string_view help, metric_type type);
    void sample(std::string_view name, std::span<const label> labels, std::string_view value);
    void sample(std::string_view name, std::span<const label> labels, double value);
    void sample(std::string_view name, std::span<const label> labels, std::uint64_t value);
    void sample(std::string_view name, std::span<const label> labels, std::int64_t value);

    const std::string& text() const noexcept { return out_; }
    std::string take() noexcept { return std::move(out_); }

private:
    std::string out_;
};

// A double as the format wants it: shortest round-trip digits, "+Inf", "-Inf", "NaN".
std::string format_value(double v);
// Label values escape backslash, double quote and newline; HELP text backslash and newline.
std::string escape_label_value(std::string_view v);
std::string escape_help(std::string_view v);
// [a-zA-Z_:][a-zA-Z0-9_:]* (metric) or [a-zA-Z_][a-zA-Z0-9_]* (label).
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

class family_base {
public:
    family_base(std::string name, std::string help, metric_type type, std::vector<std::string> labels,
                std::size_t max_children);
    virtual ~family_base();
    family_base(const family_base&) = delete;
    family_base& operator=(const family_base&) = delete;

    const std::string& name() const noexcept { return name_; }
    metric_type type() const noexcept { return type_; }
    void write(text_writer& out) const;

protected:
    struct node {
        std::vector<std::string> values;
        std::size_t hash = 0;
        std::shared_ptr<void> metric; // the derived family's Metric
    };
    // The node for these label values (created under the mutex if new; the overflow node past the cap).
    node& find_or_add(std::span<const std::string_view> values);
    virtual std::shared_ptr<void> make_metric() = 0;
    virtual void write_samples(text_writer& out, std::span<const text_writer::label> labels,
                               const void* metric) const = 0;

private:
    static constexpr std::size_t table_size = 2048; // power of two, twice max_children at most

    std::string name_;
    std::string help_;
    metric_type type_;
    std::vector<std::string> labels_;
    std::size_t max_children_;
    std::unique_ptr<std::atomic<node*>[]> table_;
    mutable std::mutex mutex_;                 // inserts and scrapes
    std::vector<std::unique_ptr<node>> nodes_; // insertion order, for scrapes
    node* overflow_ = nullptr;
};

template <class Metric> class family final : public family_base {
public:
    family(std::string name, std::string help, metric_type type, std::vector<std::string> labels,
           std::span<const double> bounds = {}, std::size_t max_children = 1000)
        : family_base(std::move(name), std::move(help), type, std::move(labels), max_children),
          bounds_(bounds) {}

    // The child of these label values, one per label name, in order. Stable for the family's life.
    Metric& with(std::initializer_list<std::string_view> values) {
        return *static_cast<Metric*>(find_or_add(std::span(values.begin(), values.size())).metric.get());
    }
    Metric& with(std::span<const std::string_view> values) {
        return *static_cast<Metric*>(find_or_add(values).metric.get());
    }
    // The family without labels: its single child.
    Metric& get() { return with(std::span<const std::string_view>()); }

private:
    std::shared_ptr<void> make_metric() override;
    void write_samples(text_writer& out, std::span<const text_writer::label> labels,
                       const void* metric) const override;

    std::span<const double> bounds_;
};

// Defined in metrics.cpp for the three metric types.
template <> std::shared_ptr<void> family<counter>::make_metric();
template <> std::shared_ptr<void> family<gauge>::make_metric();
template <> std::shared_ptr<void> family<histogram>::make_metric();
template <>
void family<counter>::write_samples(text_writer&, std::span<const text_writer::label>, const void*) const;
template <>
void family<gauge>::write_samples(text_writer&, std::span<const text_writer::label>, const void*) const;
template <>
void family<histogram>::write_samples(text_writer&, std::span<const text_writer::label>, const void*) const;

// The families of the process, and collectors that write samples computed at scrape time (process
// metrics). Families are never removed: references to them and their children stay valid.
class registry {
public:
    family<counter>& counters(std::string name, std::string help, std::vector<std::string> labels = {});
    family<gauge>& gauges(std::string name, std::string help, std::vector<std::string> labels = {});
    family<histogram>& histograms(std::string name, std::string help, std::span<const double> bounds,
                                  std::vector<std::string> labels = {});

    // Runs at every scrape, after the families; it writes its own headers and samples.
    void add_collector(std::function<void(text_writer&)> collect);

    // The whole exposition text. Takes each family's mutex briefly; never blocks an observation.
    std::string scrape() const;

private:
    family_base* find(std::string_view name) const;

    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<family_base>> families_;
    std::vector<std::function<void(text_writer&)>> collectors_;
};

// The process's registry. Lives until exit (never destroyed, so that late observations on other threads
// never touch a dead registry).
registry& global();

} // namespace eelchat::metrics
