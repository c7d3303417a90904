// One SMTP exchange (RFC 5321) over its own connection: greeting, EHLO (HELO for old servers), STARTTLS
// (RFC 3207) whenever offered, AUTH PLAIN (RFC 4616) or LOGIN, then one message. The socket side is
// net::line_stream; this is the dialogue and what each reply means.
#pragma once

#include "mail/mailer.hpp"
#include "mail/message_format.hpp"
#include "mail/smtp_reply.hpp"
#include "net/line_stream.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>

namespace eelchat::mail {

// What one exchange got to, for the log line and the outcome. Owned by the caller, which outlives the
// exchange, so it survives a deadline cancelling the exchange.
struct exchange_state {
    std::string_view stage = "connect";
    std::string reply;  // the server's last reply (never contains what we sent)
    std::string detail; // the underlying I/O or TLS error, or why we gave up
    bool tls = false;
    bool accepted = false; // the 250 after DATA arrived: the message is the server's now
    boost::system::error_code
        failure; // set before a polite QUIT, so a deadline hit during it does not hide the cause
};

class smtp_session {
public:
    // `tls` must outlive the session.
    smtp_session(boost::asio::any_io_executor ex, boost::asio::ssl::context& tls) : stream_(ex, tls) {}

    // Connects to cfg.host:cfg.port and sends `m`. Completes with empty once the server accepted the
    // message, else with an errc (or operation_aborted when the caller's deadline cancelled it); `st`
    // says how far it got. After a refusal it says QUIT without waiting for the answer. No deadline of
    // its own: the caller bounds it.
    boost::asio::awaitable<boost::system::error_code>
    run(const smtp_config& cfg, const message& m, const outgoing_headers& headers, exchange_state& st);

private:
    using error_code = boost::system::error_code;

    boost::asio::awaitable<error_code> exchange(const smtp_config& cfg, const message& m,
                                                const outgoing_headers& headers, exchange_state& st);
    boost::asio::awaitable<error_code> hello(const std::string& client_name, ehlo_capabilities& caps,
                                             exchange_state& st);
    boost::asio::awaitable<error_code> authenticate(const std::string& user, const std::string& password,
                                                    const ehlo_capabilities& caps, exchange_state& st);
    boost::asio::awaitable<void> quit(exchange_state& st);
    boost::asio::awaitable<error_code> command(std::string_view line, smtp_reply& reply, exchange_state& st);
    boost::asio::awaitable<error_code> write(std::string_view data, exchange_state& st);
    boost::asio::awaitable<error_code> read_reply(smtp_reply& reply, exchange_state& st);

    net::line_stream stream_;
};

} // namespace eelchat::mail
