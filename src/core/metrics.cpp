#include "core/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace eelchat::metrics {

const std::array<double, 14> latency_buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                0.1,    0.25,  0.5,    1,     2.5,  5,     10};
const std::array<double, 9> size_buckets = {1, 2, 4, 8, 16, 32, 64, 128, 256};

histogram::histogram(std::span<const double> bounds)
    : bounds_(bounds), counts_(std::make_unique<slot[]>(bounds.size() + 1)) {}

void histogram::observe(double v) noexcept {
    // A dozen bounds: a linear scan beats a binary search's branches.
    std::size_t i = 0;
    while (i < bounds_.size() && v > bounds_[i])
        ++i;
    counts_[i].value.fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
}

// --- the text format --------------------------------------------------------------------------------

std::string format_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

std::string escape_label_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string escape_help(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

namespace {

bool name_char(char c, bool first, bool colon) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
    if (colon && c == ':') return true;
    return !first && c >= '0' && c <= '9';
}

bool valid_name(std::string_view name, bool colon) {
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i)
        if (!name_char(name[i], i == 0, colon)) return false;
    return true;
}

const char* type_name(metric_type t) {
    switch (t) {
    case metric_type::counter:
        return "counter";
    case metric_type::gauge:
        return "gauge";
    case metric_type::histogram:
        return "histogram";
    }
    return "untyped";
}

std::size_t hash_values(std::span<const std::string_view> values) {
    // FNV-1a over the values with a separator: cheap, and good enough for a table of a few hundred.
    std::size_t h = 1469598103934665603ull;
    for (auto v : values) {
        for (unsigned char c : v)
            h = (h ^ c) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
    }
    return h;
}

bool same_values(const std::vector<std::string>& a, std::span<const std::string_view> b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i]) return false;
    return true;
}

} // namespace

bool valid_metric_name(std::string_view name) {
    return valid_name(name, true);
}
bool valid_label_name(std::string_view name) {
    return valid_name(name, false) && !name.starts_with("__");
}

void text_writer::header(std::string_view name, std::string_view help, metric_type type) {
    out_.append("# HELP ").append(name).append(" ").append(escape_help(help)).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type_name(type)).append("\n");
}

void text_writer::sample(std::string_view name, std::span<const label> labels, std::string_view value) {
    out_.append(name);
    if (!labels.empty()) {
        out_ += '{';
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (i) out_ += ',';
            out_.append(labels[i].first)
                .append("=\"")
                .append(escape_label_value(labels[i].second))
                .append("\"");
        }
        out_ += '}';
    }
    out_.append(" ").append(value).append("\n");
}

void text_writer::sample(std::string_view name, std::span<const label> labels, double value) {
    sample(name, labels, std::string_view(format_value(value)));
}
void text_writer::sample(std::string_view name, std::span<const label> labels, std::uint64_t value) {
    sample(name, labels, std::string_view(std::to_string(value)));
}
void text_writer::sample(std::string_view name, std::span<const label> labels, std::int64_t value) {
    sample(name, labels, std::string_view(std::to_string(value)));
}

// --- families -----------------------------------------------------------------------------------------

family_base::family_base(std::string name, std::string help, metric_type type,
                         std::vector<std::string> labels, std::size_t max_children)
    : name_(std::move(name)), help_(std::move(help)), type_(type), labels_(std::move(labels)),
      max_children_(std::min(max_children, table_size / 2)),
      table_(std::make_unique<std::atomic<node*>[]>(table_size)) {
    // Names are the program's own constants: a bad one is a bug, found by the first test that runs.
    if (!valid_metric_name(name_)) throw std::invalid_argument("bad metric name: " + name_);
    for (const auto& l : labels_)
        if (!valid_label_name(l) || l == "le") throw std::invalid_argument("bad label name: " + l);
}

family_base::~family_base() = default; // the derived family destroys the metrics

family_base::node& family_base::find_or_add(std::span<const std::string_view> values) {
    if (values.size() != labels_.size())
        throw std::invalid_argument("metric " + name_ + ": wrong number of label values");
    const std::size_t h = hash_values(values);
    // Lock-free look-up: a slot is written once, under the mutex, after its node is complete.
    for (std::size_t i = h & (table_size - 1);; i = (i + 1) & (table_size - 1)) {
        node* n = table_[i].load(std::memory_order_acquire);
        if (!n) break;
        if (n->hash == h && same_values(n->values, values)) return *n;
    }
    std::lock_guard lock(mutex_);
    std::size_t i = h & (table_size - 1);
    for (;; i = (i + 1) & (table_size - 1)) {
        node* n = table_[i].load(std::memory_order_relaxed);
        if (!n) break;
        if (n->hash == h && same_values(n->values, values)) return *n; // added meanwhile
    }
    if (nodes_.size() >= max_children_) {
        // Past the cap every new combination shares one child, so that an unexpected label value cannot
        // grow memory or the scrape without bound.
        if (!overflow_) {
            auto o = std::make_unique<node>();
            o->values.assign(labels_.size(), "other");
            o->metric = make_metric();
            overflow_ = o.get();
            nodes_.push_back(std::move(o));
        }
        return *overflow_;
    }
    auto n = std::make_unique<node>();
    n->values.assign(values.begin(), values.end());
    n->hash = h;
    n->metric = make_metric();
    table_[i].store(n.get(), std::memory_order_release);
    nodes_.push_back(std::move(n));
    return *nodes_.back();
}

void family_base::write(text_writer& out) const {
    out.header(name_, help_, type_);
    std::lock_guard lock(mutex_);
    std::vector<text_writer::label> labels(labels_.size());
    for (const auto& n : nodes_) {
        for (std::size_t i = 0; i < labels_.size(); ++i)
            labels[i] = {labels_[i], n->values[i]};
        write_samples(out, labels, n->metric.get());
    }
}

template <> std::shared_ptr<void> family<counter>::make_metric() {
    return std::make_shared<counter>();
}
template <> std::shared_ptr<void> family<gauge>::make_metric() {
    return std::make_shared<gauge>();
}
template <> std::shared_ptr<void> family<histogram>::make_metric() {
    return std::make_shared<histogram>(bounds_);
}

template <>
void family<counter>::write_samples(text_writer& out, std::span<const text_writer::label> labels,
                                    const void* metric) const {
    out.sample(name(), labels, static_cast<const counter*>(metric)->value());
}

template <>
void family<gauge>::write_samples(text_writer& out, std::span<const text_writer::label> labels,
                                  const void* metric) const {
    out.sample(name(), labels, static_cast<const gauge*>(metric)->value());
}

template <>
void family<histogram>::write_samples(text_writer& out, std::span<const text_writer::label> labels,
                                      const void* metric) const {
    const auto& h = *static_cast<const histogram*>(metric);
    std::vector<text_writer::label> with_le(labels.begin(), labels.end());
    with_le.emplace_back("le", "");
    const std::string bucket = name() + "_bucket";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= h.bounds().size(); ++i) {
        cumulative += h.bucket_count(i);
        const std::string le = i < h.bounds().size() ? format_value(h.bounds()[i]) : "+Inf";
        with_le.back().second = le;
        out.sample(bucket, with_le, cumulative);
    }
    out.sample(name() + "_sum", labels, h.sum());
    out.sample(name() + "_count", labels, cumulative);
}

// --- the registry -------------------------------------------------------------------------------------

family_base* registry::find(std::string_view name) const {
    for (const auto& f : families_)
        if (f->name() == name) return f.get();
    return nullptr;
}

namespace {

// The same family asked for twice (every pool of a name resolves its children) is the same object; the
// same name with another type is a bug.
template <class F> F& existing(family_base* f) {
    auto* typed = dynamic_cast<F*>(f);
    if (!typed) throw std::logic_error("metric " + f->name() + " registered twice with different types");
    return *typed;
}

} // namespace

family<counter>& registry::counters(std::string name, std::string help, std::vector<std::string> labels) {
    std::lock_guard lock(mutex_);
    if (auto* f = find(name)) return existing<family<counter>>(f);
    auto f = std::make_unique<family<counter>>(std::move(name), std::move(help), metric_type::counter,
                                               std::move(labels));
    auto& out = *f;
    families_.push_back(std::move(f));
    return out;
}

family<gauge>& registry::gauges(std::string name, std::string help, std::vector<std::string> labels) {
    std::lock_guard lock(mutex_);
    if (auto* f = find(name)) return existing<family<gauge>>(f);
    auto f = std::make_unique<family<gauge>>(std::move(name), std::move(help), metric_type::gauge,
                                             std::move(labels));
    auto& out = *f;
    families_.push_back(std::move(f));
    return out;
}

family<histogram>& registry::histograms(std::string name, std::string help, std::span<const double> bounds,
                                        std::vector<std::string> labels) {
    std::lock_guard lock(mutex_);
    if (auto* f = find(name)) return existing<family<histogram>>(f);
    auto f = std::make_unique<family<histogram>>(std::move(name), std::move(help), metric_type::histogram,
                                                 std::move(labels), bounds);
    auto& out = *f;
    families_.push_back(std::move(f));
    return out;
}

void registry::add_collector(std::function<void(text_writer&)> collect) {
    std::lock_guard lock(mutex_);
    collectors_.push_back(std::move(collect));
}

std::string registry::scrape() const {
    text_writer out;
    std::lock_guard lock(mutex_);
    for (const auto& f : families_)
        f->write(out);
    for (const auto& c : collectors_)
        c(out);
    return out.take();
}

registry& global() {
    static registry* r = new registry(); // never destroyed: see the header
    return *r;
}

} // namespace eelchat::metrics
