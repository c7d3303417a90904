#include "db/error.hpp"

#include <array>
#include <utility>

namespace eelchat::db {
namespace {

class db_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "eelchat.db"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::connect_failed:
            return "could not connect to the database";
        case errc::connection_lost:
            return "the database connection was lost";
        case errc::timeout:
            return "the database operation timed out";
        case errc::pool_timeout:
            return "no database connection became available in time";
        case errc::protocol_error:
            return "unexpected database protocol state";
        case errc::cancelled:
            return "the database operation was cancelled";
        }
        return "unknown database error " + std::to_string(ev);
    }
};

// Names for the states worth spelling out in logs; the rest print as their bare code.
constexpr std::array<std::pair<std::string_view, std::string_view>, 22> known_states{{
    {"08000", "connection_exception"},
    {"08001", "sqlclient_unable_to_establish_sqlconnection"},
    {"08003", "connection_does_not_exist"},
    {"08004", "sqlserver_rejected_establishment_of_sqlconnection"},
    {"08006", "connection_failure"},
    {"22P02", "invalid_text_representation"},
    {"23502", "not_null_violation"},
    {"23503", "foreign_key_violation"},
    {"23505", "unique_violation"},
    {"23514", "check_violation"},
    {"25P02", "in_failed_sql_transaction"},
    {"40001", "serialization_failure"},
    {"40P01", "deadlock_detected"},
    {"42601", "syntax_error"},
    {"42703", "undefined_column"},
    {"42P01", "undefined_table"},
    {"42P07", "duplicate_table"},
    {"53300", "too_many_connections"},
    {"57014", "query_canceled"},
    {"57P01", "admin_shutdown"},
    {"57P02", "crash_shutdown"},
    {"57P03", "cannot_connect_now"},
}};

constexpr int max_sqlstate_value = 36 * 36 * 36 * 36 * 36; // after the +1 bias: 1 .. 36^5

std::string decode_sqlstate(int ev) {
    if (ev < 1 || ev > max_sqlstate_value) return {};
    int v = ev - 1;
    std::string out(5, '0');
    for (int i = 4; i >= 0; --i) {
        int d = v % 36;
        v /= 36;
        out[static_cast<std::size_t>(i)] = static_cast<char>(d < 10 ? '0' + d : 'A' + (d - 10));
    }
    return out;
}

class sqlstate_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "postgres.sqlstate"; }

    std::string message(int ev) const override {
        std::string code = decode_sqlstate(ev);
        if (code.empty()) return "invalid SQLSTATE value " + std::to_string(ev);
        for (const auto& [state, name] : known_states) {
            if (state == code) return "SQLSTATE " + code + " (" + std::string(name) + ")";
        }
        return "SQLSTATE " + code;
    }
};

const db_category_impl db_category_instance;
const sqlstate_category_impl sqlstate_category_instance;

} // namespace

const boost::system::error_category& db_category() noexcept {
    return db_category_instance;
}

boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), db_category_instance};
}

const boost::system::error_category& sqlstate_category() noexcept {
    return sqlstate_category_instance;
}

boost::system::error_code make_error_code(sqlstate s) noexcept {
    return {static_cast<int>(s), sqlstate_category_instance};
}

boost::system::error_code make_sqlstate_error(std::string_view code) {
    int v = encode_sqlstate(code);
    if (v == 0) return make_error_code(errc::protocol_error);
    return {v, sqlstate_category_instance};
}

std::string sqlstate_of(boost::system::error_code ec) {
    if (ec.category() != sqlstate_category_instance) return {};
    return decode_sqlstate(ec.value());
}

bool is_connection_error(boost::system::error_code ec) noexcept {
    if (ec.category() == db_category_instance) {
        switch (static_cast<errc>(ec.value())) {
        case errc::connect_failed:
        case errc::connection_lost:
        case errc::timeout:
        case errc::pool_timeout:
            return true;
        default:
            return false;
        }
    }
    if (ec.category() == sqlstate_category_instance) {
        // Class 08 ("connection exception"): the two leading base-36 digits, 0 and 8, are worth 8.
        constexpr int class_divisor = 36 * 36 * 36;
        if (ec.value() >= 1 && (ec.value() - 1) / class_divisor == 8) return true;
        return ec == sqlstate::admin_shutdown || ec == sqlstate::crash_shutdown ||
               ec == sqlstate::cannot_connect_now;
    }
    return false;
}

} // namespace eelchat::db
