// Fuzz target: mail/smtp_reply.hpp, the replies of an SMTP relay (which may be hostile or broken).
//
// Input: what the server sent, split into lines at "\n" (a "\r" before it is dropped, as the line
// stream does). The lines go to one reply_parser after another: each complete reply must have a code
// of 200-599 and 1-100 lines within the length limit, with done() exactly after a last line; parse_ehlo
// reads it. A protocol error starts a new parser, as the mailer would start a new connection.
#include "check.hpp"

#include "mail/mailer.hpp"
#include "mail/smtp_reply.hpp"

#include <string>

namespace {

using eelchat::mail::reply_parser;

void check_reply(const eelchat::mail::smtp_reply& reply) {
    FUZZ_CHECK(reply.code >= 200 && reply.code <= 599);
    FUZZ_CHECK(!reply.lines.empty() && reply.lines.size() <= reply_parser::max_lines);
    for (const auto& line : reply.lines)
        FUZZ_CHECK(line.size() + 4 <= reply_parser::max_line_length);
    FUZZ_CHECK(reply.text().starts_with(std::to_string(reply.code)));

    const auto caps = eelchat::mail::parse_ehlo(reply);
    FUZZ_CHECK(caps.auth || (!caps.auth_plain && !caps.auth_login));
    if (reply.lines.size() == 1) FUZZ_CHECK(!caps.starttls && !caps.eight_bit_mime && !caps.auth);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    reply_parser parser;
    std::size_t lines_in_reply = 0;
    for (std::string_view in = fuzz::as_text(data, size); !in.empty();) {
        std::string_view line = fuzz::next_line(in);
        if (line.ends_with('\r')) line.remove_suffix(1);
        const auto ec = parser.add_line(line);
        if (ec) {
            FUZZ_CHECK(ec == eelchat::mail::errc::protocol_error);
            FUZZ_CHECK(!parser.done());
            parser = reply_parser();
            lines_in_reply = 0;
            continue;
        }
        ++lines_in_reply;
        FUZZ_CHECK(parser.done() == (line.size() == 3 || line[3] == ' '));
        if (!parser.done()) continue;
        const auto reply = parser.take();
        FUZZ_CHECK(reply.lines.size() == lines_in_reply);
        check_reply(reply);
        FUZZ_CHECK(!parser.done()); // ready for the next reply
        lines_in_reply = 0;
    }
    return 0;
}
