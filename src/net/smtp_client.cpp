#include "net/smtp_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>

#include <cstdio>
#include <ctime>
#include <random>
#include <stdexcept>
#include <variant>

namespace eelchat::mail {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;

// --- replies ----------------------------------------------------------------------------------------

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

namespace {

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

} // namespace

ehlo_capabilities parse_ehlo(const smtp_reply& reply) {
    ehlo_capabilities caps;
    // The first line is the server's name and greeting, not a keyword.
    for (std::size_t i = 1; i < reply.lines.size(); ++i) {
        const std::string line = upper(reply.lines[i]);
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

// --- message formatting -----------------------------------------------------------------------------

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

// --- the SMTP exchange ------------------------------------------------------------------------------

namespace {

using namespace asio::experimental::awaitable_operators;

// What one exchange got to, for the log line and the outcome. Owned by send(), which outlives the
// exchange, so it survives the deadline cancelling the exchange.
struct exchange_state {
    std::string_view stage = "connect";
    std::string reply;  // the server's last reply (never contains what we sent)
    std::string detail; // the underlying I/O or TLS error, or why we gave up
    bool tls = false;
    bool accepted = false; // the 250 after DATA arrived: the message is the server's now
    error_code failure;    // set before a polite QUIT, so a deadline hit during it does not hide the cause
};

// One connection, one message.
class smtp_session {
public:
    smtp_session(asio::any_io_executor ex, ssl::context& ctx) : resolver_(ex), stream_(ex, ctx) {}

    asio::awaitable<error_code> run(const smtp_config& cfg, const message& m, const outgoing_headers& headers,
                                    exchange_state& st) {
        error_code ec = co_await exchange(cfg, m, headers, st);
        if (ec == errc::rejected || ec == errc::auth_failed || ec == errc::tls_required) {
            // The connection is still in step with the server: say goodbye instead of just hanging up,
            // but do not wait for the answer of a server that already refused us.
            st.failure = ec;
            const std::string detail = st.detail; // a broken pipe now would not be the story
            co_await write("QUIT\r\n", st);
            st.detail = detail;
        }
        error_code ignored;
        stream_.next_layer().close(ignored);
        co_return ec;
    }

private:
    asio::awaitable<error_code> exchange(const smtp_config& cfg, const message& m,
                                         const outgoing_headers& headers, exchange_state& st) {
        st.stage = "connect";
        error_code ec = co_await connect(cfg.host, cfg.port, st);
        if (ec) co_return ec;

        st.stage = "greeting";
        smtp_reply r;
        ec = co_await read_reply(r, st);
        if (ec) co_return ec;
        if (r.code != 220) co_return make_error_code(errc::rejected);

        st.stage = "ehlo";
        const std::string domain = address_domain(cfg.from);
        const std::string client_name = domain.empty() ? "localhost" : domain;
        ehlo_capabilities caps;
        ec = co_await hello(client_name, caps, st);
        if (ec) co_return ec;

        st.stage = "starttls";
        if (caps.starttls) {
            ec = co_await command("STARTTLS", r, st);
            if (ec) co_return ec;
            if (r.code != 220) {
                st.detail = "the server refused STARTTLS";
                co_return make_error_code(errc::tls_failed);
            }
            // Anything already buffered was sent before TLS, so it could have been injected by a man in
            // the middle (the STARTTLS command injection attacks): refuse rather than read it later.
            if (!in_.empty()) {
                st.detail = "data after the STARTTLS reply";
                co_return make_error_code(errc::protocol_error);
            }
            st.stage = "tls_handshake";
            ec = co_await handshake(cfg.host, st);
            if (ec) co_return ec;
            st.stage = "ehlo";
            ec = co_await hello(client_name, caps, st); // RFC 3207: forget what was learned before TLS
            if (ec) co_return ec;
        } else if (cfg.require_tls) {
            st.detail = "the server does not offer STARTTLS";
            co_return make_error_code(errc::tls_required);
        }

        if (!cfg.user.empty()) {
            st.stage = "auth";
            ec = co_await authenticate(cfg.user, cfg.password, caps, st);
            if (ec) co_return ec;
        }

        const formatted_message fm = format_message(m, headers, caps.eight_bit_mime);
        st.stage = "mail_from";
        std::string mail_from = "MAIL FROM:<" + cfg.from + ">";
        if (fm.transfer_encoding == "8bit") mail_from += " BODY=8BITMIME";
        ec = co_await command(mail_from, r, st);
        if (ec) co_return ec;
        if (r.code != 250) co_return make_error_code(errc::rejected);

        st.stage = "rcpt_to";
        const std::string rcpt_to = "RCPT TO:<" + m.to + ">";
        ec = co_await command(rcpt_to, r, st);
        if (ec) co_return ec;
        if (r.code != 250 && r.code != 251) co_return make_error_code(errc::rejected);

        st.stage = "data";
        ec = co_await command("DATA", r, st);
        if (ec) co_return ec;
        if (r.code != 354) co_return make_error_code(errc::rejected);

        st.stage = "message";
        const std::string payload = dot_stuff(fm.content);
        ec = co_await write(payload, st);
        if (ec) co_return ec;
        ec = co_await read_reply(r, st);
        if (ec) co_return ec;
        if (r.code != 250) co_return make_error_code(errc::rejected);
        st.accepted = true;

        st.stage = "quit";
        co_await quit(st);
        co_return error_code{};
    }

    asio::awaitable<error_code> connect(const std::string& host, std::uint16_t port, exchange_state& st) {
        error_code ec;
        const auto address = asio::ip::make_address(host, ec);
        if (!ec) {
            const tcp::endpoint endpoint(address, port);
            co_await stream_.next_layer().async_connect(endpoint,
                                                        asio::redirect_error(asio::use_awaitable, ec));
        } else {
            // Note: Asio's resolver cannot be interrupted, so a hanging DNS lookup can outlast the deadline
            // by the system resolver's own timeout.
            const std::string service = std::to_string(port);
            auto endpoints = co_await resolver_.async_resolve(host, service, tcp::resolver::numeric_service,
                                                              asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                st.detail = "resolving " + host + ": " + ec.message();
                co_return ec == asio::error::operation_aborted ? ec : make_error_code(errc::connect_failed);
            }
            co_await asio::async_connect(stream_.next_layer(), endpoints,
                                         asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec) {
            st.detail = ec.message();
            co_return ec == asio::error::operation_aborted ? ec : make_error_code(errc::connect_failed);
        }
        stream_.next_layer().set_option(tcp::no_delay(true), ec);
        co_return error_code{};
    }

    // EHLO, or HELO for a server that does not know EHLO (then no extensions, so no STARTTLS).
    asio::awaitable<error_code> hello(const std::string& client_name, ehlo_capabilities& caps,
                                      exchange_state& st) {
        smtp_reply r;
        const std::string ehlo = "EHLO " + client_name;
        error_code ec = co_await command(ehlo, r, st);
        if (ec) co_return ec;
        if (r.code == 250) {
            caps = parse_ehlo(r);
            co_return error_code{};
        }
        caps = {};
        const std::string helo = "HELO " + client_name;
        ec = co_await command(helo, r, st);
        if (ec) co_return ec;
        if (r.code != 250) co_return make_error_code(errc::rejected);
        co_return error_code{};
    }

    asio::awaitable<error_code> handshake(const std::string& host, exchange_state& st) {
        error_code ec;
        asio::ip::make_address(host, ec);
        // SNI carries host names only (RFC 6066 3), never an IP literal.
        if (ec && SSL_set_tlsext_host_name(stream_.native_handle(), host.c_str()) != 1) {
            st.detail = "cannot set the TLS server name";
            co_return make_error_code(errc::tls_failed);
        }
        stream_.set_verify_callback(ssl::host_name_verification(host));
        ec = {};
        co_await stream_.async_handshake(ssl::stream_base::client,
                                         asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            st.detail = ec.message();
            co_return ec == asio::error::operation_aborted ? ec : make_error_code(errc::tls_failed);
        }
        tls_ = true;
        st.tls = true;
        co_return error_code{};
    }

    asio::awaitable<error_code> authenticate(const std::string& user, const std::string& password,
                                             const ehlo_capabilities& caps, exchange_state& st) {
        smtp_reply r;
        error_code ec;
        if (caps.auth_plain) {
            const std::string auth = "AUTH PLAIN " + auth_plain_response(user, password);
            ec = co_await command(auth, r, st);
            if (ec) co_return ec;
        } else if (caps.auth_login) {
            // The server prompts with 334 for the user name, then for the password, each in base64.
            ec = co_await command("AUTH LOGIN", r, st);
            if (ec) co_return ec;
            if (r.code != 334) co_return make_error_code(errc::auth_failed);
            const std::string encoded_user = base64_encode(user);
            ec = co_await command(encoded_user, r, st);
            if (ec) co_return ec;
            if (r.code != 334) co_return make_error_code(errc::auth_failed);
            const std::string encoded_password = base64_encode(password);
            ec = co_await command(encoded_password, r, st);
            if (ec) co_return ec;
        } else {
            st.detail = caps.auth ? "the server offers neither AUTH PLAIN nor AUTH LOGIN"
                                  : "the server offers no AUTH";
            co_return make_error_code(errc::auth_failed);
        }
        if (r.code != 235) co_return make_error_code(errc::auth_failed);
        co_return error_code{};
    }

    // After the message was accepted. Best effort: the outcome is decided, so errors (and the reply) are
    // ignored, and the deadline still bounds a server that never answers.
    asio::awaitable<void> quit(exchange_state& st) {
        const std::string keep = st.reply;
        smtp_reply r;
        co_await command("QUIT", r, st);
        st.reply = keep;
    }

    asio::awaitable<error_code> command(std::string_view line, smtp_reply& reply, exchange_state& st) {
        std::string out;
        out.reserve(line.size() + 2);
        out += line;
        out += "\r\n";
        error_code ec = co_await write(out, st);
        if (ec) co_return ec;
        ec = co_await read_reply(reply, st);
        co_return ec;
    }

    asio::awaitable<error_code> write(std::string_view data, exchange_state& st) {
        error_code ec;
        if (tls_)
            co_await asio::async_write(stream_, asio::buffer(data),
                                       asio::redirect_error(asio::use_awaitable, ec));
        else
            co_await asio::async_write(stream_.next_layer(), asio::buffer(data),
                                       asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return io_failure(ec, st);
        co_return error_code{};
    }

    asio::awaitable<error_code> read_reply(smtp_reply& reply, exchange_state& st) {
        reply_parser parser;
        for (;;) {
            error_code ec;
            // The buffer limit bounds a line (with its CRLF): a longer one fails with not_found.
            auto buffer = asio::dynamic_buffer(in_, reply_parser::max_line_length + 2);
            std::size_t n = 0;
            if (tls_)
                n = co_await asio::async_read_until(stream_, buffer, '\n',
                                                    asio::redirect_error(asio::use_awaitable, ec));
            else
                n = co_await asio::async_read_until(stream_.next_layer(), buffer, '\n',
                                                    asio::redirect_error(asio::use_awaitable, ec));
            if (ec == asio::error::not_found) {
                st.detail = "a reply line is longer than 4096 bytes";
                co_return make_error_code(errc::protocol_error);
            }
            if (ec) co_return io_failure(ec, st);
            std::string_view line(in_.data(), n - 1);
            if (line.ends_with('\r')) line.remove_suffix(1);
            ec = parser.add_line(line);
            in_.erase(0, n);
            if (ec) {
                st.detail = "malformed reply, or more than 100 lines";
                co_return ec;
            }
            if (parser.done()) {
                reply = parser.take();
                st.reply = reply.text();
                co_return error_code{};
            }
        }
    }

    static error_code io_failure(error_code ec, exchange_state& st) {
        if (ec == asio::error::operation_aborted) return ec;
        st.detail = ec == asio::error::eof ? "the server closed the connection" : ec.message();
        return make_error_code(errc::protocol_error);
    }

    tcp::resolver resolver_;
    ssl::stream<tcp::socket> stream_;
    std::string in_; // received bytes not yet parsed
    bool tls_ = false;
};

// Servers often quote the recipient in their replies ("550 <bob@example.org>: unknown"); logs name the
// domain only, so the local part is masked wherever the address appears (in any letter case).
std::string redact_address(std::string text, std::string_view address) {
    const auto at = address.rfind('@');
    if (at == std::string_view::npos || at == 0) return text;
    const std::string needle = upper(address);
    const std::string mask = "***" + std::string(address.substr(at));
    std::string haystack = upper(text);
    for (auto pos = haystack.find(needle); pos != std::string::npos;
         pos = haystack.find(needle, pos + mask.size())) {
        text.replace(pos, needle.size(), mask);
        haystack.replace(pos, needle.size(), upper(mask));
    }
    return text;
}

asio::awaitable<error_code> expire(asio::steady_timer& timer) {
    error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return ec ? error_code(asio::error::operation_aborted) : make_error_code(errc::timeout);
}

class smtp_mailer final : public mailer {
public:
    smtp_mailer(asio::any_io_executor ex, smtp_config cfg, logger log)
        : ex_(std::move(ex)), cfg_(std::move(cfg)), log_(std::move(log)), tls_(ssl::context::tls_client),
          ids_(random_seed()) {
        if (cfg_.host.empty()) throw std::invalid_argument("SMTP host is empty");
        if (!is_valid_address(cfg_.from)) throw std::invalid_argument("SMTP from address is not valid");
        tls_.set_default_verify_paths();
        if (!cfg_.ca_file.empty()) tls_.load_verify_file(cfg_.ca_file);
        tls_.set_verify_mode(ssl::verify_peer);
        SSL_CTX_set_min_proto_version(tls_.native_handle(), TLS1_2_VERSION);
    }

    asio::awaitable<error_code> send(const message& m) override {
        const auto started = std::chrono::steady_clock::now();
        const std::string to_domain = address_domain(m.to);
        exchange_state st;
        error_code ec = validate_message(m);
        if (ec) {
            st.stage = "validate";
        } else {
            outgoing_headers headers;
            headers.from = cfg_.from;
            headers.date = format_rfc5322_date(std::chrono::system_clock::now());
            headers.message_id = next_message_id();
            smtp_session session(ex_, tls_);
            asio::steady_timer deadline(ex_, cfg_.timeout);
            try {
                auto outcome = co_await (session.run(cfg_, m, headers, st) || expire(deadline));
                ec = outcome.index() == 0 ? std::get<0>(outcome) : std::get<1>(outcome);
            } catch (const boost::system::system_error& e) {
                // Asio throws when the exchange awaits again after a cancellation; the code says enough.
                ec = e.code();
            }
            if (st.accepted)
                ec = {};
            else if (st.failure && ec == errc::timeout)
                ec = st.failure; // the deadline passed during the QUIT after a refusal
        }
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                .count();
        const std::string reply = redact_address(st.reply, m.to);
        if (!ec) {
            log_.info("mail_sent", {{"to_domain", to_domain}, {"ms", ms}, {"tls", st.tls}, {"reply", reply}});
        } else {
            log_.warn("mail_failed", {{"to_domain", to_domain},
                                      {"error", ec.message()},
                                      {"stage", st.stage},
                                      {"reply", reply},
                                      {"detail", st.detail},
                                      {"tls", st.tls},
                                      {"ms", ms}});
        }
        co_return ec;
    }

private:
    static std::uint64_t random_seed() {
        std::random_device rd;
        return static_cast<std::uint64_t>(rd()) << 32 ^ rd();
    }

    // "<time.random@domain>": unique without coordination between threads or processes.
    std::string next_message_id() {
        const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        char buf[64];
        std::snprintf(buf, sizeof buf, "<%llx.%016llx@", static_cast<unsigned long long>(now),
                      static_cast<unsigned long long>(ids_()));
        return buf + address_domain(cfg_.from) + ">";
    }

    asio::any_io_executor ex_;
    smtp_config cfg_;
    logger log_;
    ssl::context tls_;
    std::mt19937_64 ids_;
};

} // namespace

std::unique_ptr<mailer> make_smtp_mailer(asio::any_io_executor ex, smtp_config cfg, logger log) {
    return std::make_unique<smtp_mailer>(std::move(ex), std::move(cfg), std::move(log));
}

} // namespace eelchat::mail
