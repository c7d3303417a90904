// The SMTP mailer in whole exchanges against a real SMTP server (aiosmtpd, started per test by
// tests/support/smtp_server.py): delivery, encodings, STARTTLS, AUTH, certificate checks, refusals.
#include "mail/message_format.hpp"
#include "support/smtp_test_server.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <variant>

using namespace eelchat;
using namespace eelchat::test::smtp;

TEST_CASE("a message arrives intact: envelope, decoded subject, body with dot lines and UTF-8",
          "[smtp][unit]") {
    smtp_test_server server;
    auto cfg = config_for(server.port());
    cfg.require_tls = false; // this server offers no STARTTLS
    auto r = send_with(cfg, welcome);
    CHECK_FALSE(r.ec);
    auto events = server.stop();
    auto messages = events_named(events, "message");
    REQUIRE(messages.size() == 1);
    const auto& got = messages[0];
    CHECK(got.at("mail_from").as_string() == "eelchat@chat.example");
    REQUIRE(got.at("rcpt_tos").as_array().size() == 1);
    CHECK(got.at("rcpt_tos").as_array()[0].as_string() == "bob@example.org");
    CHECK(got.at("subject").as_string() == welcome.subject);
    CHECK(got.at("body").as_string() == welcome.text);
    CHECK(got.at("tls").as_bool() == false);
    const auto& headers = got.at("headers").as_object();
    CHECK(headers.at("From").as_string() == "eelchat@chat.example");
    CHECK(headers.at("To").as_string() == "bob@example.org");
    CHECK(headers.at("MIME-Version").as_string() == "1.0");
    CHECK(headers.at("Content-Type").as_string() == "text/plain; charset=\"utf-8\"");
    CHECK(headers.at("Content-Transfer-Encoding").as_string() == "8bit");
    CHECK_THAT(std::string(headers.at("Message-ID").as_string()), Catch::EndsWith("@chat.example>"));
    CHECK(headers.contains("Date"));
    // The server announced 8BITMIME and the body is not ASCII, so the envelope says so.
    REQUIRE(got.at("mail_options").as_array().size() >= 1);
    CHECK(got.at("mail_options").as_array()[0].as_string() == "BODY=8BITMIME");

    REQUIRE(r.log.size() == 1);
    CHECK_THAT(r.log[0], Catch::Contains("level=info event=mail_sent to_domain=example.org"));
    CHECK_THAT(r.log[0], !Catch::Contains("bob@"));
    CHECK_THAT(r.log[0], !Catch::Contains("Hello"));
}

TEST_CASE("a body line longer than 998 bytes is sent quoted-printable and arrives intact", "[smtp][unit]") {
    smtp_test_server server;
    auto cfg = config_for(server.port());
    cfg.require_tls = false;
    std::string text;
    for (int i = 0; i < 400; ++i)
        text += "wörd ";
    text += "\n.dot\ntrailing blank \n";
    mail::message m{"bob@example.org", "long", text};
    auto r = send_with(cfg, m);
    CHECK_FALSE(r.ec);
    auto messages = events_named(server.stop(), "message");
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].at("headers").as_object().at("Content-Transfer-Encoding").as_string() ==
          "quoted-printable");
    CHECK(messages[0].at("body").as_string() == text);
}

TEST_CASE("STARTTLS with the test CA trusted, then AUTH PLAIN", "[smtp][unit]") {
    smtp_test_server server({.tls_cert = "server", .user = "mailer", .password = "correct horse"});
    auto cfg = config_for(server.port());
    cfg.ca_file = certificates().cert("server");
    cfg.user = "mailer";
    cfg.password = "correct horse";
    auto r = send_with(cfg, welcome);
    CHECK_FALSE(r.ec);
    auto events = server.stop();
    auto auths = events_named(events, "auth");
    REQUIRE(auths.size() == 1);
    CHECK(auths[0].at("mechanism").as_string() == "PLAIN");
    CHECK(auths[0].at("success").as_bool());
    auto messages = events_named(events, "message");
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].at("tls").as_bool());
    CHECK(messages[0].at("auth_login").as_string() == "mailer");
    CHECK(messages[0].at("body").as_string() == welcome.text);
    CHECK_THAT(r.all_log(), Catch::Contains("tls=true"));
    CHECK_THAT(r.all_log(), !Catch::Contains("correct horse"));
    CHECK_THAT(r.all_log(), !Catch::Contains(mail::base64_encode("correct horse")));
}

TEST_CASE("AUTH LOGIN is used when the server does not offer PLAIN", "[smtp][unit]") {
    smtp_test_server server({.tls_cert = "server", .user = "mailer", .password = "pw", .login_only = true});
    auto cfg = config_for(server.port());
    cfg.ca_file = certificates().cert("server");
    cfg.user = "mailer";
    cfg.password = "pw";
    auto r = send_with(cfg, welcome);
    CHECK_FALSE(r.ec);
    auto events = server.stop();
    auto auths = events_named(events, "auth");
    REQUIRE(auths.size() == 1);
    CHECK(auths[0].at("mechanism").as_string() == "LOGIN");
    CHECK(events_named(events, "message").size() == 1);
}

TEST_CASE("a certificate from an untrusted CA fails with tls_failed and sends nothing", "[smtp][unit]") {
    smtp_test_server server({.tls_cert = "server", .user = "mailer", .password = "pw"});
    auto cfg = config_for(server.port());
    cfg.user = "mailer";
    cfg.password = "pw";
    auto r = send_with(cfg, welcome);
    CHECK(r.ec == mail::errc::tls_failed);
    CHECK(server.stop().empty());
    CHECK_THAT(r.all_log(), Catch::Contains("level=warn event=mail_failed"));
    CHECK_THAT(r.all_log(), Catch::Contains("stage=tls_handshake"));
    CHECK_THAT(r.all_log(), Catch::Contains("certificate verify failed"));
}

TEST_CASE("a trusted certificate for another host name fails with tls_failed", "[smtp][unit]") {
    smtp_test_server server({.tls_cert = "other", .user = "mailer", .password = "pw"});
    auto cfg = config_for(server.port());
    cfg.ca_file = certificates().cert("other");
    cfg.user = "mailer";
    cfg.password = "pw";
    auto r = send_with(cfg, welcome);
    CHECK(r.ec == mail::errc::tls_failed);
    CHECK(server.stop().empty());
}

TEST_CASE("without STARTTLS and with TLS required, no credentials and no mail are sent", "[smtp][unit]") {
    // This server would take AUTH in the clear: the client must not offer it the password.
    smtp_test_server server({.user = "mailer", .password = "pw", .auth_without_tls = true});
    auto cfg = config_for(server.port());
    cfg.user = "mailer";
    cfg.password = "pw";
    auto r = send_with(cfg, welcome);
    CHECK(r.ec == mail::errc::tls_required);
    CHECK(server.stop().empty());
    CHECK_THAT(r.all_log(), Catch::Contains("does not offer STARTTLS"));
}

TEST_CASE("with TLS not required, a password is still never sent in the clear", "[smtp][unit]") {
    smtp_test_server server({.user = "mailer", .password = "pw", .auth_without_tls = true});
    auto cfg = config_for(server.port());
    cfg.require_tls = false;
    cfg.user = "mailer";
    cfg.password = "pw";
    auto r = send_with(cfg, welcome);
    CHECK(r.ec == mail::errc::tls_required);
    auto events = server.stop();
    CHECK(events_named(events, "auth").empty());
    CHECK(events_named(events, "message").empty());
    CHECK_THAT(r.all_log(), Catch::Contains("only over TLS"));
}

TEST_CASE("a wrong password fails with auth_failed before any mail is sent", "[smtp][unit]") {
    smtp_test_server server({.tls_cert = "server", .user = "mailer", .password = "right"});
    auto cfg = config_for(server.port());
    cfg.ca_file = certificates().cert("server");
    cfg.user = "mailer";
    cfg.password = "wrong";
    auto r = send_with(cfg, welcome);
    CHECK(r.ec == mail::errc::auth_failed);
    auto events = server.stop();
    auto auths = events_named(events, "auth");
    REQUIRE(auths.size() == 1);
    CHECK_FALSE(auths[0].at("success").as_bool());
    CHECK(events_named(events, "message").empty());
    CHECK_THAT(r.all_log(), Catch::Contains("stage=auth"));
    CHECK_THAT(r.all_log(), Catch::Contains("535"));
    CHECK_THAT(r.all_log(), !Catch::Contains("wrong"));
}

TEST_CASE("a refused recipient fails with rejected and the server's reply in the log", "[smtp][unit]") {
    smtp_test_server server({.reject = {"nobody@example.org"}});
    auto cfg = config_for(server.port());
    cfg.require_tls = false;
    mail::message m{"nobody@example.org", "hi", "text"};
    auto r = send_with(cfg, m);
    CHECK(r.ec == mail::errc::rejected);
    CHECK(events_named(server.stop(), "message").empty());
    REQUIRE(r.log.size() == 1);
    CHECK_THAT(r.log[0], Catch::Contains("level=warn event=mail_failed"));
    CHECK_THAT(r.log[0], Catch::Contains("stage=rcpt_to"));
    CHECK_THAT(r.log[0], Catch::Contains("550 5.1.1"));
    CHECK_THAT(r.log[0], Catch::Contains("Recipient address rejected"));
    // The server quoted the address; the log keeps the domain only.
    CHECK_THAT(r.log[0], Catch::Contains("<***@example.org>"));
    CHECK_THAT(r.log[0], !Catch::Contains("nobody"));
}

TEST_CASE("a host name is resolved and its addresses tried in turn, with SNI and name verification",
          "[smtp][unit]") {
    // "localhost" may resolve to ::1 first, where this server does not listen: the client moves on to
    // 127.0.0.1. The certificate names DNS:localhost, so host name verification passes.
    smtp_test_server server({.tls_cert = "server"});
    auto cfg = config_for(server.port());
    cfg.host = "localhost";
    cfg.ca_file = certificates().cert("server");
    auto r = send_with(cfg, welcome);
    CHECK_FALSE(r.ec);
    auto messages = events_named(server.stop(), "message");
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].at("tls").as_bool());
}
