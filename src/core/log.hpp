// Structured logging: one line per event, as key=value pairs or as one JSON object, written to an
// injected sink.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace eelchat {

enum class log_level { debug = 0, info = 1, warn = 2, error = 3 };

// Parses "debug", "info", "warn" or "error"; nullopt otherwise.
std::optional<log_level> parse_log_level(std::string_view s);

// key=value (people reading a terminal) or JSON Lines (log shippers: Loki, Elasticsearch, journald
// exporters).
enum class log_format { text, json };

// Parses "text" or "json"; nullopt otherwise.
std::optional<log_format> parse_log_format(std::string_view s);

struct log_field {
    using value_type = std::variant<std::string_view, std::int64_t, double, bool>;
    std::string_view key;
    value_type value;

    log_field(std::string_view k, std::string_view v) : key(k), value(v) {}
    log_field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
    log_field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
    log_field(std::string_view k, bool v) : key(k), value(v) {}
    log_field(std::string_view k, double v) : key(k), value(v) {}
    template <class I>
    requires std::is_integral_v<I> log_field(std::string_view k, I v)
        : key(k), value(static_cast<std::int64_t>(v)) {}
};

// A logger is a level and a sink; copies share the sink. The sink receives whole lines (without the
// trailing newline) and must be safe to call from several threads.
class logger {
public:
    using sink_fn = std::function<void(std::string_view line)>;

    // Writes to standard error, one write(2) per line so lines from different threads never interleave.
    static logger to_stderr(log_level min, log_format format = log_format::text);
    // Discards everything (tests that do not look at logs).
    static logger null();

    logger(log_level min, sink_fn sink, log_format format = log_format::text);

    bool enabled(log_level level) const { return sink_ && level >= min_; }
    void log(log_level level, std::string_view event, std::initializer_list<log_field> fields = {}) const;

    void debug(std::string_view event, std::initializer_list<log_field> fields = {}) const {
        log(log_level::debug, event, fields);
    }
    void info(std::string_view event, std::initializer_list<log_field> fields = {}) const {
        log(log_level::info, event, fields);
    }
    void warn(std::string_view event, std::initializer_list<log_field> fields = {}) const {
        log(log_level::warn, event, fields);
    }
    void error(std::string_view event, std::initializer_list<log_field> fields = {}) const {
        log(log_level::error, event, fields);
    }

private:
    log_level min_;
    log_format format_;
    std::shared_ptr<const sink_fn> sink_;
};

// The message of an exception in flight ("unknown exception" for one that is not a std::exception).
std::string exception_message(const std::exception_ptr& e);

// A completion handler for co_spawn: logs an exception that escaped the coroutine as `event` at error
// level (a bug: expected failures travel as error codes), and does nothing otherwise.
struct log_exceptions {
    logger log;
    std::string_view event;
    void operator()(std::exception_ptr e) const {
        if (e) log.error(event, {{"what", exception_message(e)}});
    }
};

// Formats one line: "ts=... level=info event=name key=value ...". Values with spaces, quotes, '=' or
// control characters are double-quoted with escapes, so a line always parses back unambiguously.
std::string format_log_line(log_level level, std::string_view event, std::initializer_list<log_field> fields);

// Formats the same event as one JSON object: {"ts":"...","level":"info","event":"name","key":value,...}.
// Numbers and booleans stay JSON numbers and booleans; text that is not valid UTF-8 has each bad byte
// replaced by U+FFFD, so every line is valid JSON whatever a client sent.
std::string format_json_log_line(log_level level, std::string_view event,
                                 std::initializer_list<log_field> fields);

} // namespace eelchat
