#include "mail/message_format.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace eelchat::mail {

std::string base64_encode(std::string_view data) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const auto v = static_cast<unsigned>(static_cast<unsigned char>(data[i])) << 16 |
                       static_cast<unsigned>(static_cast<unsigned char>(data[i + 1])) << 8 |
                       static_cast<unsigned char>(data[i + 2]);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    if (const auto left = data.size() - i; left > 0) {
        auto v = static_cast<unsigned>(static_cast<unsigned char>(data[i])) << 16;
        if (left == 2) v |= static_cast<unsigned>(static_cast<unsigned char>(data[i + 1])) << 8;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += left == 2 ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string auth_plain_response(std::string_view user, std::string_view password) {
    std::string raw;
    raw.reserve(user.size() + password.size() + 2);
    raw += '\0'; // empty authorization identity: act as the authenticated user
    raw += user;
    raw += '\0';
    raw += password;
    return base64_encode(raw);
}

std::string encode_subject(std::string_view subject) {
    // "Subject: " takes 9 of the 78 characters a header line should stay within.
    constexpr std::size_t line_budget = 78 - 9;
    bool plain = subject.size() <= line_budget && subject.find("=?") == std::string_view::npos;
    for (unsigned char c : subject)
        if (c < 0x20 || c >= 0x7f) plain = false;
    if (plain) return std::string(subject);

    // 39 bytes make 52 base64 characters: each "=?UTF-8?B?...?=" word is 64 characters, so the first
    // line is 73 long and continuation lines (a space, then a word) 65.
    constexpr std::size_t bytes_per_word = 39;
    std::string out;
    std::size_t i = 0;
    while (i < subject.size()) {
        std::size_t end = std::min(i + bytes_per_word, subject.size());
        // RFC 2047 6.3: a word must hold whole characters, so never end on a UTF-8 continuation byte.
        std::size_t cut = end;
        while (cut > i && cut < subject.size() && (static_cast<unsigned char>(subject[cut]) & 0xc0) == 0x80)
            --cut;
        if (cut > i) end = cut; // else: not UTF-8 at all; split anywhere rather than loop forever
        if (!out.empty()) out += "\r\n ";
        out += "=?UTF-8?B?";
        out += base64_encode(subject.substr(i, end - i));
        out += "?=";
        i = end;
    }
    return out;
}

std::string format_rfc5322_date(std::chrono::system_clock::time_point t) {
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
                  months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::string normalize_crlf(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 32);
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\r') {
            out += "\r\n";
            if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
        } else if (c == '\n') {
            out += "\r\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string quoted_printable(std::string_view crlf_text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    // 75 plus the '=' of a soft break keeps every encoded line within the 76 characters of RFC 2045.
    constexpr std::size_t max_encoded = 75;
    std::string out;
    out.reserve(crlf_text.size() + crlf_text.size() / 8);
    std::size_t line_length = 0;
    const auto is_break_at = [&](std::size_t i) {
        return i + 1 < crlf_text.size() && crlf_text[i] == '\r' && crlf_text[i + 1] == '\n';
    };
    for (std::size_t i = 0; i < crlf_text.size(); ++i) {
        if (is_break_at(i)) {
            out += "\r\n";
            line_length = 0;
            ++i;
            continue;
        }
        const auto c = static_cast<unsigned char>(crlf_text[i]);
        // A blank at the end of a line would be stripped by some relays, so it is encoded there.
        const bool at_line_end = i + 1 == crlf_text.size() || is_break_at(i + 1);
        char token[3];
        std::size_t token_length = 1;
        if ((c == ' ' || c == '\t') && !at_line_end) {
            token[0] = static_cast<char>(c);
        } else if (c >= 33 && c <= 126 && c != '=') {
            token[0] = static_cast<char>(c);
        } else {
            token[0] = '=';
            token[1] = hex[c >> 4];
            token[2] = hex[c & 15];
            token_length = 3;
        }
        if (line_length + token_length > max_encoded) {
            out += "=\r\n";
            line_length = 0;
        }
        out.append(token, token_length);
        line_length += token_length;
    }
    return out;
}

std::string dot_stuff(std::string_view content) {
    std::string out;
    out.reserve(content.size() + content.size() / 64 + 5);
    bool line_start = true;
    for (const char c : content) {
        if (line_start && c == '.') out += '.';
        out += c;
        line_start = c == '\n';
    }
    if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
    out += ".\r\n";
    return out;
}

formatted_message format_message(const message& m, const outgoing_headers& headers, bool eight_bit_mime) {
    std::string body = normalize_crlf(m.text);
    if (!body.ends_with("\r\n")) body += "\r\n";

    bool ascii = true;
    bool controls = false; // bare controls (NUL, ESC, ...) are not allowed in 7bit or 8bit data
    std::size_t longest = 0;
    std::size_t current = 0;
    for (std::size_t i = 0; i < body.size(); ++i) {
        const auto c = static_cast<unsigned char>(body[i]);
        if (c == '\r' && i + 1 < body.size() && body[i + 1] == '\n') {
            longest = std::max(longest, current);
            current = 0;
            ++i;
            continue;
        }
        ++current;
        if (c >= 0x80) ascii = false;
        if ((c < 0x20 && c != '\t') || c == 0x7f) controls = true;
    }
    longest = std::max(longest, current);

    formatted_message out;
    // RFC 5321 4.5.3.1.6: a line of the message may hold at most 998 bytes before its CRLF.
    if (controls || longest > 998)
        out.transfer_encoding = "quoted-printable";
    else if (ascii)
        out.transfer_encoding = "7bit";
    else
        out.transfer_encoding = eight_bit_mime ? "8bit" : "quoted-printable";

    std::string& s = out.content;
    s.reserve(body.size() + 512);
    s += "Date: " + headers.date + "\r\n";
    s += "From: " + headers.from + "\r\n";
    s += "To: " + m.to + "\r\n";
    s += "Subject: " + encode_subject(m.subject) + "\r\n";
    s += "Message-ID: " + headers.message_id + "\r\n";
    s += "MIME-Version: 1.0\r\n";
    s += "Content-Type: text/plain; charset=utf-8\r\n";
    s += "Content-Transfer-Encoding: " + out.transfer_encoding + "\r\n";
    s += "\r\n";
    if (out.transfer_encoding == "quoted-printable")
        s += quoted_printable(body);
    else
        s += body;
    return out;
}

} // namespace eelchat::mail
