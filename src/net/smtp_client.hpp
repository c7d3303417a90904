// The SMTP mailer: one connection per message to a submission server (RFC 5321), upgraded with STARTTLS
// (RFC 3207) and authenticated with AUTH PLAIN (RFC 4616) or LOGIN. Below it, the pure pieces of the
// protocol (reply parsing, EHLO capabilities, message formatting, dot-stuffing) that tests call without
// a socket.
#pragma once

#include "app/log.hpp"
#include "app/mailer.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace eelchat::mail {

// Sends each message over its own connection to cfg.host:cfg.port, within cfg.timeout for the whole
// exchange. Created on (and only used from) the thread running `ex`. When the server offers STARTTLS it
// is always used, verifying the certificate against the system CAs (plus cfg.ca_file) and cfg.host.
// Logs one line per message: info "mail_sent" or warn "mail_failed" with the recipient's domain, the
// stage and the server's reply; never the password or the body.
// Throws std::invalid_argument when cfg.host is empty or cfg.from is not a valid address, and
// boost::system::system_error when cfg.ca_file cannot be loaded: configuration errors, found at start.
std::unique_ptr<mailer> make_smtp_mailer(boost::asio::any_io_executor ex, smtp_config cfg, logger log);

// --- replies ----------------------------------------------------------------------------------------

struct smtp_reply {
    int code = 0;
    std::vector<std::string> lines; // the text of each line, after "250-" / "250 "

    // The code and the lines joined with " | " ("250 first | second"), for logs.
    std::string text() const;
};

// Collects the lines of one reply ("250-first", "250-second", "250 last"). Malformed input is a
// protocol error: a line longer than max_line_length, more than max_lines lines, a line that does not
// start with a 2xx-5xx code followed by ' ', '-' or its end, or a code that changes within the reply.
class reply_parser {
public:
    static constexpr std::size_t max_line_length = 4096; // bytes, without the CRLF
    static constexpr std::size_t max_lines = 100;

    // `line` without its line break. Returns errc::protocol_error for the cases above.
    boost::system::error_code add_line(std::string_view line);
    // True once the last line (code followed by ' ' or nothing) was added.
    bool done() const noexcept { return done_; }
    // The complete reply; the parser is ready for the next one afterwards.
    smtp_reply take();

private:
    smtp_reply reply_;
    bool done_ = false;
};

// What an EHLO reply advertises, as far as this client cares.
struct ehlo_capabilities {
    bool starttls = false;
    bool eight_bit_mime = false;
    bool auth = false; // any AUTH line at all
    bool auth_plain = false;
    bool auth_login = false;
};

// Reads the keyword lines after the greeting line; keywords are case-insensitive and "AUTH=..." (the
// pre-standard spelling some servers still send) counts as AUTH.
ehlo_capabilities parse_ehlo(const smtp_reply& reply);

// --- message formatting -----------------------------------------------------------------------------

std::string base64_encode(std::string_view data);

// The AUTH PLAIN initial response (RFC 4616): base64 of "\0user\0password".
std::string auth_plain_response(std::string_view user, std::string_view password);

// The Subject header value: as is when it is printable ASCII that fits on the line, otherwise RFC 2047
// encoded words (=?UTF-8?B?...?=) that never split a UTF-8 character, folded onto continuation lines
// so that every line stays within 78 characters.
std::string encode_subject(std::string_view subject);

// "Tue, 01 Jul 2025 12:34:56 +0000" (RFC 5322 date-time, in UTC).
std::string format_rfc5322_date(std::chrono::system_clock::time_point t);

// Every line break ("\r\n", "\n" or a lone "\r") as "\r\n".
std::string normalize_crlf(std::string_view text);

// Quoted-printable (RFC 2045 6.7) of CRLF text: hard line breaks stay CRLF, encoded lines stay within
// 76 characters with soft breaks ("=\r\n"), trailing blanks are encoded.
std::string quoted_printable(std::string_view crlf_text);

// A line that starts with '.' gets a second one (RFC 5321 4.5.2), and the result ends with the
// "\r\n.\r\n" that ends DATA (adding the CRLF when the content lacks it). `content` uses CRLF breaks.
std::string dot_stuff(std::string_view content);

struct outgoing_headers {
    std::string from;
    std::string date;       // format_rfc5322_date
    std::string message_id; // "<unique@domain>"
};

struct formatted_message {
    std::string content;           // headers, blank line, body; CRLF breaks; not yet dot-stuffed
    std::string transfer_encoding; // "7bit", "8bit" or "quoted-printable"
};

// The RFC 5322 message for `m` (validate it first). The body is sent as it is when it is 7-bit text with
// lines of at most 998 bytes, as 8bit when it is not ASCII and the server announced 8BITMIME (the
// caller then sends MAIL FROM with BODY=8BITMIME), and as quoted-printable otherwise. The body always
// ends with a line break.
formatted_message format_message(const message& m, const outgoing_headers& headers, bool eight_bit_mime);

} // namespace eelchat::mail
