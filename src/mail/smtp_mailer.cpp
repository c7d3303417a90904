#include "mail/smtp_mailer.hpp"

#include "core/text.hpp"
#include "mail/message_format.hpp"
#include "mail/smtp_session.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/ssl.h>

#include <cstdio>
#include <random>
#include <stdexcept>
#include <variant>

namespace eelchat::mail {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using boost::system::error_code;

namespace {

using namespace asio::experimental::awaitable_operators;

// Servers often quote the recipient in their replies ("550 <bob@example.org>: unknown"); logs name the
// domain only, so the local part is masked wherever the address appears (in any letter case).
std::string redact_address(std::string text, std::string_view address) {
    const auto at = address.rfind('@');
    if (at == std::string_view::npos || at == 0) return text;
    const std::string needle = text::ascii_upper(address);
    const std::string mask = "***" + std::string(address.substr(at));
    std::string haystack = text::ascii_upper(text);
    for (auto pos = haystack.find(needle); pos != std::string::npos;
         pos = haystack.find(needle, pos + mask.size())) {
        text.replace(pos, needle.size(), mask);
        haystack.replace(pos, needle.size(), text::ascii_upper(mask));
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
