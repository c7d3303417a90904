// Building query parameters. g++ 12 miscompiles a braced list written inside a co_await expression
// (`co_await db.query(sql, {a, b})` does not compile, and braced aggregates there are freed twice), so
// parameters are built with this function instead: `co_await db.query(sql, db::params(a, b))`.
#pragma once

#include "db/connection.hpp"
#include "db/error.hpp"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace eelchat::db {

namespace detail {
inline param to_param(std::nullopt_t) { return std::nullopt; }
inline param to_param(std::string s) { return param(std::move(s)); }
inline param to_param(std::string_view s) { return param(std::string(s)); }
inline param to_param(const char* s) { return param(std::string(s)); }
inline param to_param(bool b) { return param(std::string(b ? "true" : "false")); }
inline param to_param(std::optional<std::string> s) { return s; }
template <class I>
    requires std::is_integral_v<I>
param to_param(I v) {
    return param(std::to_string(v));
}
} // namespace detail

template <class... A>
std::vector<param> params(A&&... a) {
    std::vector<param> v;
    v.reserve(sizeof...(A));
    (v.push_back(detail::to_param(std::forward<A>(a))), ...);
    return v;
}

// An error as a result<T>. Needed for result<bool>, where a bare error_code would be ambiguous (it
// converts to bool too).
template <class T>
result<T> failure(boost::system::error_code ec) {
    return result<T>(boost::system::in_place_error, ec);
}

// A nullable text column as an owned string.
inline std::optional<std::string> optional_text(const pg_result& r, int row, int col) {
    auto v = r.get_optional(row, col);
    return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

// Parses a bigint/integer column; nullopt when it is not a number (a bug in the query, not user input).
inline std::optional<std::int64_t> to_int(std::string_view s) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

} // namespace eelchat::db
