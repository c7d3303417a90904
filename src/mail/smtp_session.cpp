#include "mail/smtp_session.hpp"

#include <boost/asio/error.hpp>

namespace eelchat::mail {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

error_code io_failure(error_code ec, exchange_state& st) {
    if (ec == asio::error::operation_aborted) return ec;
    st.detail = ec == asio::error::eof ? "the server closed the connection" : ec.message();
    return make_error_code(errc::protocol_error);
}

} // namespace

asio::awaitable<error_code> smtp_session::run(const smtp_config& cfg, const message& m,
                                              const outgoing_headers& headers, exchange_state& st) {
    error_code ec = co_await exchange(cfg, m, headers, st);
    if (ec == errc::rejected || ec == errc::auth_failed || ec == errc::tls_required) {
        // The connection is still in step with the server: say goodbye instead of just hanging up,
        // but do not wait for the answer of a server that already refused us.
        st.failure = ec;
        const std::string detail = st.detail; // a broken pipe now would not be the story
        co_await write("QUIT\r\n", st);
        st.detail = detail;
    }
    stream_.close();
    co_return ec;
}

asio::awaitable<error_code> smtp_session::exchange(const smtp_config& cfg, const message& m,
                                                   const outgoing_headers& headers, exchange_state& st) {
    st.stage = "connect";
    error_code ec = co_await stream_.connect(cfg.host, cfg.port, st.detail);
    if (ec) co_return ec == asio::error::operation_aborted ? ec : make_error_code(errc::connect_failed);

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
        if (stream_.has_buffered_input()) {
            st.detail = "data after the STARTTLS reply";
            co_return make_error_code(errc::protocol_error);
        }
        st.stage = "tls_handshake";
        ec = co_await stream_.start_tls(cfg.host, st.detail);
        if (ec) co_return ec == asio::error::operation_aborted ? ec : make_error_code(errc::tls_failed);
        st.tls = true;
        st.stage = "ehlo";
        ec = co_await hello(client_name, caps, st); // RFC 3207: forget what was learned before TLS
        if (ec) co_return ec;
    } else if (cfg.require_tls) {
        st.detail = "the server does not offer STARTTLS";
        co_return make_error_code(errc::tls_required);
    }

    if (!cfg.user.empty()) {
        st.stage = "auth";
        // Credentials never cross the network in cleartext, whatever require_tls says (the
        // configuration refuses SMTP_USER with SMTP_TLS=off; this is the last line).
        if (!st.tls) {
            st.detail = "credentials are sent only over TLS, and this connection has none";
            co_return make_error_code(errc::tls_required);
        }
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

// EHLO, or HELO for a server that does not know EHLO (then no extensions, so no STARTTLS).
asio::awaitable<error_code> smtp_session::hello(const std::string& client_name, ehlo_capabilities& caps,
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

asio::awaitable<error_code> smtp_session::authenticate(const std::string& user, const std::string& password,
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
        st.detail =
            caps.auth ? "the server offers neither AUTH PLAIN nor AUTH LOGIN" : "the server offers no AUTH";
        co_return make_error_code(errc::auth_failed);
    }
    if (r.code != 235) co_return make_error_code(errc::auth_failed);
    co_return error_code{};
}

// After the message was accepted. Best effort: the outcome is decided, so errors (and the reply) are
// ignored, and the deadline still bounds a server that never answers.
asio::awaitable<void> smtp_session::quit(exchange_state& st) {
    const std::string keep = st.reply;
    smtp_reply r;
    co_await command("QUIT", r, st);
    st.reply = keep;
}

asio::awaitable<error_code> smtp_session::command(std::string_view line, smtp_reply& reply,
                                                  exchange_state& st) {
    std::string out;
    out.reserve(line.size() + 2);
    out += line;
    out += "\r\n";
    error_code ec = co_await write(out, st);
    if (ec) co_return ec;
    ec = co_await read_reply(reply, st);
    co_return ec;
}

asio::awaitable<error_code> smtp_session::write(std::string_view data, exchange_state& st) {
    error_code ec = co_await stream_.write(data);
    if (ec) co_return io_failure(ec, st);
    co_return error_code{};
}

asio::awaitable<error_code> smtp_session::read_reply(smtp_reply& reply, exchange_state& st) {
    reply_parser parser;
    for (;;) {
        std::string_view line;
        error_code ec = co_await stream_.read_line(line, reply_parser::max_line_length);
        if (ec == asio::error::not_found) {
            st.detail = "a reply line is longer than 4096 bytes";
            co_return make_error_code(errc::protocol_error);
        }
        if (ec) co_return io_failure(ec, st);
        ec = parser.add_line(line);
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

} // namespace eelchat::mail
