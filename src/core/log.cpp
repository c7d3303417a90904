#include "core/log.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>

namespace eelchat {

std::optional<log_level> parse_log_level(std::string_view s) {
    if (s == "debug") return log_level::debug;
    if (s == "info") return log_level::info;
    if (s == "warn") return log_level::warn;
    if (s == "error") return log_level::error;
    return std::nullopt;
}

std::optional<log_format> parse_log_format(std::string_view s) {
    if (s == "text") return log_format::text;
    if (s == "json") return log_format::json;
    return std::nullopt;
}

namespace {

std::string_view level_name(log_level l) {
    switch (l) {
    case log_level::debug:
        return "debug";
    case log_level::info:
        return "info";
    case log_level::warn:
        return "warn";
    case log_level::error:
        return "error";
    }
    return "?";
}

bool needs_quotes(std::string_view v) {
    if (v.empty()) return true;
    for (unsigned char c : v)
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
    return false;
}

void append_value(std::string& out, std::string_view v) {
    if (!needs_quotes(v)) {
        out += v;
        return;
    }
    out += '"';
    for (unsigned char c : v) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x%02x", c);
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    out += '"';
}

void append_timestamp(std::string& out) {
    auto now = std::chrono::system_clock::now();
    auto secs = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    out += buf;
}

// The length of the valid UTF-8 sequence at the start of `s`, or 0 when it is not one (overlong forms,
// surrogates and code points beyond U+10FFFF are not valid).
std::size_t utf8_sequence(std::string_view s) {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char c = b(0);
    if (c < 0x80) return 1;
    std::size_t n;
    unsigned lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
    } else {
        return 0;
    }
    if (s.size() < n || b(1) < lo || b(1) > hi) return 0;
    for (std::size_t i = 2; i < n; ++i)
        if (b(i) < 0x80 || b(i) > 0xbf) return 0;
    return n;
}

void append_json_string(std::string& out, std::string_view v) {
    out += '"';
    while (!v.empty()) {
        const auto c = static_cast<unsigned char>(v.front());
        const std::size_t n = utf8_sequence(v);
        if (n == 0) {
            out += "\ufffd";
            v.remove_prefix(1);
            continue;
        }
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out.append(v.substr(0, n));
        }
        v.remove_prefix(n);
    }
    out += '"';
}

// A field's value that is not text, as both formats write it; JSON has no NaN or infinity, so there a
// double that is not finite becomes null.
void append_scalar(std::string& out, const log_field::value_type& value, bool json) {
    if (const auto* b = std::get_if<bool>(&value)) {
        out += *b ? "true" : "false";
    } else if (const auto* d = std::get_if<double>(&value)) {
        if (json && !std::isfinite(*d)) {
            out += "null";
            return;
        }
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.3f", *d);
        out += buf;
    } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
        out += std::to_string(*i);
    }
}

} // namespace

std::string format_json_log_line(log_level level, std::string_view event,
                                 std::initializer_list<log_field> fields) {
    std::string line;
    line.reserve(160);
    line += "{\"ts\":\"";
    append_timestamp(line);
    line += "\",\"level\":\"";
    line += level_name(level);
    line += "\",\"event\":";
    append_json_string(line, event);
    for (const auto& f : fields) {
        line += ',';
        append_json_string(line, f.key);
        line += ':';
        if (const auto* text = std::get_if<std::string_view>(&f.value))
            append_json_string(line, *text);
        else
            append_scalar(line, f.value, true);
    }
    line += '}';
    return line;
}

std::string format_log_line(log_level level, std::string_view event,
                            std::initializer_list<log_field> fields) {
    std::string line;
    line.reserve(128);
    line += "ts=";
    append_timestamp(line);
    line += " level=";
    line += level_name(level);
    line += " event=";
    append_value(line, event);
    for (const auto& f : fields) {
        line += ' ';
        line += f.key;
        line += '=';
        if (const auto* text = std::get_if<std::string_view>(&f.value))
            append_value(line, *text);
        else
            append_scalar(line, f.value, false);
    }
    return line;
}

std::string exception_message(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        return ex.what();
    } catch (...) {
        return "unknown exception";
    }
}

logger::logger(log_level min, sink_fn sink, log_format format)
    : min_(min), format_(format), sink_(sink ? std::make_shared<const sink_fn>(std::move(sink)) : nullptr) {}

logger logger::to_stderr(log_level min, log_format format) {
    return logger(
        min,
        [](std::string_view line) {
            std::string buf;
            buf.reserve(line.size() + 1);
            buf.append(line);
            buf += '\n';
            // One write per line: lines from several threads do not interleave.
            const char* p = buf.data();
            std::size_t left = buf.size();
            while (left > 0) {
                ssize_t n = ::write(STDERR_FILENO, p, left);
                if (n <= 0) return;
                p += n;
                left -= static_cast<std::size_t>(n);
            }
        },
        format);
}

logger logger::null() {
    return logger(log_level::error, nullptr);
}

void logger::log(log_level level, std::string_view event, std::initializer_list<log_field> fields) const {
    if (!enabled(level)) return;
    (*sink_)(format_ == log_format::json ? format_json_log_line(level, event, fields)
                                         : format_log_line(level, event, fields));
}

} // namespace eelchat
