#include "db/pg_result.hpp"

#include <charconv>
#include <cstring>
#include <stdexcept>
#include <string>

namespace eelchat::db {

int pg_result::rows() const noexcept {
    return result_ ? PQntuples(result_.get()) : 0;
}

int pg_result::columns() const noexcept {
    return result_ ? PQnfields(result_.get()) : 0;
}

void pg_result::check(int row, int col) const {
    if (row < 0 || row >= rows() || col < 0 || col >= columns()) {
        throw std::out_of_range("pg_result: cell (" + std::to_string(row) + ", " + std::to_string(col) +
                                ") outside " + std::to_string(rows()) + "x" + std::to_string(columns()));
    }
}

int pg_result::require_column(std::string_view name) const {
    if (auto i = column_index(name)) return *i;
    throw std::out_of_range("pg_result: no column named '" + std::string(name) + "'");
}

bool pg_result::is_null(int row, int col) const {
    check(row, col);
    return PQgetisnull(result_.get(), row, col) != 0;
}

std::string_view pg_result::get(int row, int col) const {
    check(row, col);
    // PQgetlength is exact and saves a strlen (text values never contain NUL).
    return {PQgetvalue(result_.get(), row, col),
            static_cast<std::size_t>(PQgetlength(result_.get(), row, col))};
}

std::optional<std::string_view> pg_result::get_optional(int row, int col) const {
    if (is_null(row, col)) return std::nullopt;
    return get(row, col);
}

std::string_view pg_result::get(int row, std::string_view column) const {
    return get(row, require_column(column));
}

std::optional<std::string_view> pg_result::get_optional(int row, std::string_view column) const {
    return get_optional(row, require_column(column));
}

std::optional<int> pg_result::column_index(std::string_view name) const noexcept {
    const int n = columns();
    for (int i = 0; i < n; ++i) {
        const char* f = PQfname(result_.get(), i);
        if (f && name == f) return i;
    }
    return std::nullopt;
}

std::string_view pg_result::column_name(int col) const {
    if (col < 0 || col >= columns()) throw std::out_of_range("pg_result: no column " + std::to_string(col));
    return PQfname(result_.get(), col);
}

std::int64_t pg_result::affected_rows() const noexcept {
    if (!result_) return 0;
    const char* s = PQcmdTuples(result_.get());
    std::int64_t n = 0;
    std::from_chars(s, s + std::strlen(s), n); // "" (no count) leaves n at 0
    return n;
}

} // namespace eelchat::db
