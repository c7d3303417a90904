#include "mail/smtp_reply.hpp"

#include "core/text.hpp"
#include "mail/mailer.hpp"

namespace eelchat::mail {

using boost::system::error_code;

std::string smtp_reply::text() const {
    std::string out = std::to_string(code);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        out += i == 0 ? " " : " | ";
        out += lines[i];
    }
    return out;
}

error_code reply_parser::add_line(std::string_view line) {
    if (done_ || line.size() > max_line_length || reply_.lines.size() == max_lines)
        return make_error_code(errc::protocol_error);
    if (line.size() < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
        line[2] < '0' || line[2] > '9')
        return make_error_code(errc::protocol_error);
    if (line.size() > 3 && line[3] != ' ' && line[3] != '-') return make_error_code(errc::protocol_error);
    const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (!reply_.lines.empty() && code != reply_.code) return make_error_code(errc::protocol_error);
    reply_.code = code;
    reply_.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
    done_ = line.size() == 3 || line[3] == ' ';
    return {};
}

smtp_reply reply_parser::take() {
    smtp_reply out = std::move(reply_);
    reply_ = {};
    done_ = false;
    return out;
}

ehlo_capabilities parse_ehlo(const smtp_reply& reply) {
    ehlo_capabilities caps;
    // The first line is the server's name and greeting, not a keyword.
    for (std::size_t i = 1; i < reply.lines.size(); ++i) {
        const std::string line = text::ascii_upper(reply.lines[i]);
        const auto end = line.find_first_of(" =");
        const std::string_view keyword = std::string_view(line).substr(0, end);
        if (keyword == "STARTTLS") {
            caps.starttls = true;
        } else if (keyword == "8BITMIME") {
            caps.eight_bit_mime = true;
        } else if (keyword == "AUTH") {
            caps.auth = true;
            std::string_view rest = end == std::string::npos ? "" : std::string_view(line).substr(end + 1);
            while (!rest.empty()) {
                const auto sp = rest.find(' ');
                const auto mechanism = rest.substr(0, sp);
                if (mechanism == "PLAIN") caps.auth_plain = true;
                if (mechanism == "LOGIN") caps.auth_login = true;
                rest = sp == std::string_view::npos ? "" : rest.substr(sp + 1);
            }
        }
    }
    return caps;
}

} // namespace eelchat::mail
