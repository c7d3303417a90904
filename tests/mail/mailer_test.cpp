// The mailer interface's pure parts and the console mailer that stands in for SMTP in development.
#include "mail/mailer.hpp"

#include "support/async.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>

#include <string>
#include <vector>

using namespace eelchat;

namespace {

struct captured {
    std::vector<std::string> writes;
    std::vector<std::string> log_lines;
};

std::unique_ptr<mail::mailer> console_into(captured& c) {
    logger log(log_level::debug, [&c](std::string_view l) { c.log_lines.emplace_back(l); });
    return mail::make_console_mailer(log, [&c](std::string_view s) { c.writes.emplace_back(s); });
}

} // namespace

TEST_CASE("the console mailer prints the whole message in one write", "[unit][mail]") {
    captured c;
    auto m = console_into(c);
    CHECK(m->prints_to_console());
    mail::message msg{"alice@example.com", "Your sign-in link", "Click here:\nhttps://chat.example/x"};
    boost::asio::io_context ctx;
    auto ec = test::run_async(ctx, m->send(msg));
    CHECK_FALSE(ec);
    REQUIRE(c.writes.size() == 1);
    const std::string& out = c.writes[0];
    CHECK_THAT(out, Catch::Contains("TO: alice@example.com\nSUBJECT: Your sign-in link\n\n"
                                    "Click here:\nhttps://chat.example/x\n"));
    // Someone reading the console learns why the mail is there and how to really send it.
    CHECK_THAT(out, Catch::Contains("SMTP_HOST"));
    CHECK_THAT(out, Catch::EndsWith("\n"));
    // The log names the domain only, and never the body.
    REQUIRE(c.log_lines.size() == 1);
    CHECK_THAT(c.log_lines[0], Catch::Contains("to_domain=example.com"));
    CHECK_THAT(c.log_lines[0], !Catch::Contains("alice"));
    CHECK_THAT(c.log_lines[0], !Catch::Contains("Click"));
}

TEST_CASE("the console mailer refuses what the SMTP mailer would refuse", "[unit][mail]") {
    captured c;
    auto m = console_into(c);
    mail::message msg{"alice@example.com", "Hi\r\nBcc: victim@example.com", "body"};
    boost::asio::io_context ctx;
    auto ec = test::run_async(ctx, m->send(msg));
    CHECK(ec == mail::errc::bad_message);
    CHECK(c.writes.empty());
    REQUIRE(c.log_lines.size() == 1);
    CHECK_THAT(c.log_lines[0], Catch::Contains("level=warn event=mail_failed"));
}

TEST_CASE("messages with header injection or a bad address are invalid", "[unit][mail]") {
    const auto check = [](std::string to, std::string subject) {
        mail::message m{std::move(to), std::move(subject), "text\n.with a dot line\r\n"};
        return mail::validate_message(m);
    };
    CHECK_FALSE(check("bob@example.com", "Hello ünïcødé"));
    CHECK_FALSE(check("bob+tag@sub.example.com", ""));
    CHECK(check("bob@example.com", "a\nb") == mail::errc::bad_message);
    CHECK(check("bob@example.com", "a\rb") == mail::errc::bad_message);
    CHECK(check("bob@example.com\r\nRCPT TO:<x@y>", "s") == mail::errc::bad_message);
    CHECK(check("bob@example.com>", "s") == mail::errc::bad_message);
    CHECK(check("bob", "s") == mail::errc::bad_message);
    CHECK(check("", "s") == mail::errc::bad_message);
}

TEST_CASE("address checks accept plain addresses only", "[unit][mail]") {
    CHECK(mail::is_valid_address("a@b"));
    CHECK(mail::is_valid_address("first.last+tag@mail.example.org"));
    CHECK_FALSE(mail::is_valid_address("@example.com"));
    CHECK_FALSE(mail::is_valid_address("bob@"));
    CHECK_FALSE(mail::is_valid_address("bo b@example.com"));
    CHECK_FALSE(mail::is_valid_address("a@b@c"));
    CHECK_FALSE(mail::is_valid_address("Bob <bob@example.com>"));
    CHECK_FALSE(mail::is_valid_address("bob@exämple.com"));
    std::string too_long(250, 'a');
    too_long += "@b.cd";
    CHECK_FALSE(mail::is_valid_address(too_long));
}

TEST_CASE("logs get the recipient's domain, lower-cased", "[unit][mail]") {
    CHECK(mail::address_domain("Bob@Example.COM") == "example.com");
    CHECK(mail::address_domain("nobody") == "");
}

TEST_CASE("mail errors read as sentences in their own category", "[unit][mail]") {
    boost::system::error_code ec = mail::errc::tls_required;
    CHECK(std::string(ec.category().name()) == "eelchat.mail");
    CHECK_THAT(ec.message(), Catch::Contains("STARTTLS"));
    CHECK(boost::system::error_code(mail::errc::timeout) != boost::system::error_code(mail::errc::rejected));
}
