#include "mail/mailer.hpp"

#include <unistd.h>

#include <cerrno>
#include <utility>

namespace eelchat::mail {
namespace {

class mail_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "eelchat.mail"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::connect_failed:
            return "could not connect to the mail server";
        case errc::tls_required:
            return "the mail server does not offer STARTTLS and TLS is required";
        case errc::tls_failed:
            return "the TLS connection to the mail server failed";
        case errc::auth_failed:
            return "the mail server refused the credentials";
        case errc::rejected:
            return "the mail server rejected the message";
        case errc::protocol_error:
            return "unexpected reply from the mail server";
        case errc::timeout:
            return "the mail server did not answer in time";
        case errc::bad_message:
            return "the message cannot be sent as it is";
        }
        return "unknown mail error " + std::to_string(ev);
    }
};

const mail_category_impl mail_category_instance;

bool is_address_char(unsigned char c) {
    if (c <= ' ' || c >= 0x7f) return false;
    switch (c) {
    case '<':
    case '>':
    case '(':
    case ')':
    case '[':
    case ']':
    case ',':
    case ';':
    case ':':
    case '\\':
    case '"':
        return false;
    default:
        return true;
    }
}

// One write(2) for the whole text when the kernel allows it; a pipe may take it in pieces.
void write_stdout(std::string_view text) {
    const char* p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        ssize_t n = ::write(STDOUT_FILENO, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

class console_mailer final : public mailer {
public:
    console_mailer(logger log, std::function<void(std::string_view)> out)
        : log_(std::move(log)), out_(std::move(out)) {}

    boost::asio::awaitable<boost::system::error_code> send(const message& m) override {
        if (auto ec = validate_message(m)) {
            log_.warn("mail_failed", {{"to_domain", address_domain(m.to)},
                                      {"error", ec.message()},
                                      {"stage", "validate"},
                                      {"mailer", "console"}});
            co_return ec;
        }
        std::string text;
        text.reserve(m.to.size() + m.subject.size() + m.text.size() + 160);
        text +=
            "---- mail printed here, not sent: set SMTP_HOST and MAIL_FROM (see README) to send it ----\n";
        text += "TO: ";
        text += m.to;
        text += "\nSUBJECT: ";
        text += m.subject;
        text += "\n\n";
        text += m.text;
        text += '\n';
        out_(text);
        log_.info("mail_printed", {{"to_domain", address_domain(m.to)}, {"mailer", "console"}});
        co_return boost::system::error_code{};
    }

    bool prints_to_console() const override { return true; }

private:
    logger log_;
    std::function<void(std::string_view)> out_;
};

} // namespace

const boost::system::error_category& mail_category() noexcept {
    return mail_category_instance;
}

boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), mail_category_instance};
}

bool is_valid_address(std::string_view address) {
    if (address.empty() || address.size() > 254) return false;
    const auto at = address.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return false;
    for (std::size_t i = 0; i < address.size(); ++i) {
        const auto c = static_cast<unsigned char>(address[i]);
        // Only the last '@' separates; one inside the local part needs quoting, which we do not support.
        if (c == '@' && i != at) return false;
        if (c != '@' && !is_address_char(c)) return false;
    }
    return true;
}

boost::system::error_code validate_message(const message& m) {
    if (!is_valid_address(m.to)) return make_error_code(errc::bad_message);
    if (m.subject.find_first_of("\r\n") != std::string::npos) return make_error_code(errc::bad_message);
    return {};
}

std::string address_domain(std::string_view address) {
    const auto at = address.rfind('@');
    if (at == std::string_view::npos) return {};
    std::string domain(address.substr(at + 1));
    for (auto& c : domain)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return domain;
}

std::unique_ptr<mailer> make_console_mailer(logger log, std::function<void(std::string_view)> out) {
    if (!out) out = write_stdout;
    return std::make_unique<console_mailer>(std::move(log), std::move(out));
}

} // namespace eelchat::mail
