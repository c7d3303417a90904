// Outgoing email: the interface the application sends mail through, its errors, and the console mailer
// that stands in for SMTP until an SMTP relay is configured (the SMTP mailer is in mail/smtp_mailer.hpp).
#pragma once

#include "core/log.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

namespace eelchat::mail {

struct message {
    std::string to;      // one address, "user@example.com" (no display name)
    std::string subject; // UTF-8, one line
    std::string text;    // plain text body, UTF-8; any line break style
};

// Where the SMTP mailer delivers; the app fills it from SMTP_HOST, MAIL_FROM and friends (app/config.hpp).
struct smtp_config {
    std::string host;
    std::uint16_t port = 587;
    std::string user;        // empty: no AUTH
    std::string password;    // never logged
    std::string from;        // envelope sender and From header, "noreply@example.com"
    std::string ca_file;     // optional extra CA bundle (PEM) to trust, e.g. for a private relay or tests
    bool require_tls = true; // refuse to send credentials/mail without STARTTLS unless false
    std::chrono::milliseconds timeout{15000}; // deadline for the whole exchange
};

enum class errc {
    connect_failed = 1, // the host did not resolve, or no address accepted the connection
    tls_required,       // the server offers no STARTTLS and require_tls is set: nothing was sent
    tls_failed,         // STARTTLS refused, or the TLS handshake / certificate verification failed
    auth_failed,        // credentials refused, or no AUTH mechanism we support
    rejected,           // the server answered a command with a 4xx/5xx reply (it is in the log)
    protocol_error,     // a malformed or oversized reply, or the connection broke mid-exchange
    timeout,            // the deadline for the whole exchange passed
    bad_message,        // the message itself is unusable (CR/LF in a header, invalid address)
};

const boost::system::error_category& mail_category() noexcept;
boost::system::error_code make_error_code(errc e) noexcept;

// One mailer per worker thread, created and used only on that thread.
class mailer {
public:
    virtual ~mailer() = default;

    // Sends one message. Completes with an empty error_code once the message was accepted (for SMTP: the
    // 250 after DATA), or with an errc (or asio::error::operation_aborted when cancelled). Never throws
    // for network or protocol problems. Honours terminal cancellation of the awaiting coroutine. The
    // message and the mailer must stay alive until completion.
    virtual boost::asio::awaitable<boost::system::error_code> send(const message& m) = 0;

    // True for the development stand-in that prints instead of sending (pages may say "check the console").
    virtual bool prints_to_console() const { return false; }
};

// Writes each message to `out` as ONE call (default: stdout with one write(2), so messages printed by
// several threads never interleave): a line saying that mail is printed until SMTP is configured, then
// "TO: <to>\nSUBJECT: <subject>\n\n<text>\n". Rejects the same bad messages the SMTP mailer does, so
// a bug shows up in development too.
std::unique_ptr<mailer> make_console_mailer(logger log, std::function<void(std::string_view)> out = {});

// --- pure checks shared by the mailers ------------------------------------------------------------

// An address we are willing to put into an SMTP envelope and a header: ASCII, "local@domain" with both
// parts non-empty, no spaces, control characters or the characters that would end or split an address
// (<>()[],;:\"), at most 254 bytes. Internationalised (SMTPUTF8) addresses are not supported.
bool is_valid_address(std::string_view address);

// Empty for a message we can send; errc::bad_message for an invalid `to`, or a subject containing CR
// or LF (header injection).
boost::system::error_code validate_message(const message& m);

// The part after the last '@' (lower-cased), or "" when there is none: logs name the recipient's
// domain, never the whole address.
std::string address_domain(std::string_view address);

} // namespace eelchat::mail

template <> struct boost::system::is_error_code_enum<eelchat::mail::errc> : std::true_type {};
