// The SMTP mailer: one connection per message to a submission server (RFC 5321), upgraded with STARTTLS
// (RFC 3207) and authenticated with AUTH PLAIN (RFC 4616) or LOGIN (the exchange is smtp_session.hpp,
// the message message_format.hpp), under one deadline, with one log line per message.
#pragma once

#include "core/log.hpp"
#include "mail/mailer.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>

namespace eelchat::mail {

// Sends each message over its own connection to cfg.host:cfg.port, within cfg.timeout for the whole
// exchange. Created on (and only used from) the thread running `ex`. When the server offers STARTTLS it
// is always used, verifying the certificate against the system CAs (plus cfg.ca_file) and cfg.host.
// Logs one line per message: info "mail_sent" or warn "mail_failed" with the recipient's domain, the
// stage and the server's reply; never the password or the body.
// Throws std::invalid_argument when cfg.host is empty or cfg.from is not a valid address, and
// boost::system::system_error when cfg.ca_file cannot be loaded: configuration errors, found at start.
std::unique_ptr<mailer> make_smtp_mailer(boost::asio::any_io_executor ex, smtp_config cfg, logger log);

} // namespace eelchat::mail
