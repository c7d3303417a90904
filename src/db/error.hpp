// Errors of the database layer as boost::system::error_code values, in two categories:
//  - "eelchat.db": failures of the client side (connecting, I/O, deadlines, the pool);
//  - "postgres.sqlstate": errors the server reported, one value per SQLSTATE, so callers can compare
//    `ec == db::sqlstate::unique_violation` without looking at strings.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <string_view>
#include <type_traits>

namespace eelchat::db {

template <class T> using result = boost::system::result<T>;

enum class errc {
    connect_failed = 1, // the server refused, the name did not resolve, authentication failed, ...
    connection_lost,    // an established connection broke (EOF, reset, backend terminated)
    timeout,            // the deadline of the operation passed
    pool_timeout,       // no connection became free before the deadline, or too many waiters
    protocol_error,     // libpq or the server did something we do not handle (COPY, misuse)
    cancelled,          // the operation was cancelled, or the pool was closed
};

const boost::system::error_category& db_category() noexcept;
boost::system::error_code make_error_code(errc e) noexcept;

// The value of a sqlstate code is 1 + the base-36 number spelled by its five characters ('0'-'9',
// 'A'-'Z'): reversible, and never 0 (a zero value would read as "no error", yet "00000" is a state).
constexpr int encode_sqlstate(std::string_view s) noexcept {
    if (s.size() != 5) return 0;
    int v = 0;
    for (char c : s) {
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'A' && c <= 'Z')
            d = c - 'A' + 10;
        else if (c >= 'a' && c <= 'z')
            d = c - 'a' + 10;
        else
            return 0;
        v = v * 36 + d;
    }
    return v + 1;
}

// Named SQLSTATEs the application reacts to. Compare with `ec == sqlstate::unique_violation`.
enum class sqlstate : int {
    unique_violation = encode_sqlstate("23505"),
    foreign_key_violation = encode_sqlstate("23503"),
    check_violation = encode_sqlstate("23514"),
    not_null_violation = encode_sqlstate("23502"),
    invalid_text_representation = encode_sqlstate("22P02"),
    serialization_failure = encode_sqlstate("40001"),
    deadlock_detected = encode_sqlstate("40P01"),
    undefined_table = encode_sqlstate("42P01"),
    undefined_column = encode_sqlstate("42703"),
    syntax_error = encode_sqlstate("42601"),
    in_failed_sql_transaction = encode_sqlstate("25P02"),
    query_canceled = encode_sqlstate("57014"),
    admin_shutdown = encode_sqlstate("57P01"),
    crash_shutdown = encode_sqlstate("57P02"),
    cannot_connect_now = encode_sqlstate("57P03"),
    too_many_connections = encode_sqlstate("53300"),
    connection_failure = encode_sqlstate("08006"),
};

const boost::system::error_category& sqlstate_category() noexcept;
boost::system::error_code make_error_code(sqlstate s) noexcept;

// A five-character SQLSTATE (case-insensitive) as an error code. Anything else is not a SQLSTATE the
// server could have sent, so it maps to errc::protocol_error rather than to a made-up state.
boost::system::error_code make_sqlstate_error(std::string_view code);

// "23505" for a sqlstate code, "" for any other error code.
std::string sqlstate_of(boost::system::error_code ec);

// True for the errors that mean "the database is unreachable right now" (the server maps them to
// HTTP 503): connect_failed, connection_lost, timeout, pool_timeout, class 08 (connection exception)
// and the 57P0x shutdown / start-up states.
bool is_connection_error(boost::system::error_code ec) noexcept;

} // namespace eelchat::db

template <> struct boost::system::is_error_code_enum<eelchat::db::errc> : std::true_type {};
template <> struct boost::system::is_error_code_enum<eelchat::db::sqlstate> : std::true_type {};
