// An email as it goes over SMTP: the RFC 5322 message (headers, RFC 2047 subject, the body as 7bit, 8bit
// or quoted-printable), dot-stuffing for DATA, and the base64 that AUTH uses. Pure functions.
#pragma once

#include "mail/mailer.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace eelchat::mail {

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
