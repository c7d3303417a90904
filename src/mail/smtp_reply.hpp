// SMTP replies (RFC 5321 4.2): the parser that collects the lines of one reply, and what an EHLO reply
// advertises. Pure, so tests call them without a socket.
#pragma once

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace eelchat::mail {

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

} // namespace eelchat::mail
