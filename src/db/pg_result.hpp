// The owner of one libpq PGresult: rows and columns of text values, freed with PQclear.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace eelchat::db {

// Move-only. Values are views into the PGresult: they stay valid as long as this object lives.
// Row and column indexes out of range are bugs and throw std::out_of_range.
class pg_result {
public:
    pg_result() = default;
    // Takes ownership; nullptr gives an empty result (no rows, no columns).
    explicit pg_result(PGresult* r) noexcept : result_(r) {}

    explicit operator bool() const noexcept { return result_ != nullptr; }

    int rows() const noexcept;
    int columns() const noexcept;

    bool is_null(int row, int col) const;
    // The text value; "" for SQL NULL (use get_optional when NULL and "" differ).
    std::string_view get(int row, int col) const;
    std::optional<std::string_view> get_optional(int row, int col) const;
    // By column name (exact match, as the query spelled it); throws std::out_of_range if absent.
    std::string_view get(int row, std::string_view column) const;
    std::optional<std::string_view> get_optional(int row, std::string_view column) const;

    // The column's index, compared exactly (no case folding, unlike PQfnumber); nullopt if absent.
    std::optional<int> column_index(std::string_view name) const noexcept;
    std::string_view column_name(int col) const;

    // Rows touched by INSERT/UPDATE/DELETE/... (PQcmdTuples); 0 for commands that report none.
    std::int64_t affected_rows() const noexcept;

    PGresult* native_handle() const noexcept { return result_.get(); }

private:
    struct clear {
        void operator()(PGresult* r) const noexcept { PQclear(r); }
    };

    void check(int row, int col) const;
    int require_column(std::string_view name) const;

    std::unique_ptr<PGresult, clear> result_;
};

} // namespace eelchat::db
