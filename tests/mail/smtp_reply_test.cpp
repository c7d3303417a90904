// SMTP replies as the mailer reads them: multi-line replies, malformed ones, EHLO capabilities.
#include "mail/mailer.hpp"
#include "mail/smtp_reply.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;

TEST_CASE("reply parser collects single and multi-line replies", "[unit][mail]") {
    mail::reply_parser p;
    CHECK_FALSE(p.add_line("250-mail.example.org greets you"));
    CHECK_FALSE(p.done());
    CHECK_FALSE(p.add_line("250-STARTTLS"));
    CHECK_FALSE(p.add_line("250 AUTH PLAIN LOGIN"));
    REQUIRE(p.done());
    auto r = p.take();
    CHECK(r.code == 250);
    CHECK(r.lines == std::vector<std::string>{"mail.example.org greets you", "STARTTLS", "AUTH PLAIN LOGIN"});
    CHECK(r.text() == "250 mail.example.org greets you | STARTTLS | AUTH PLAIN LOGIN");

    CHECK_FALSE(p.done());
    CHECK_FALSE(p.add_line("354"));
    REQUIRE(p.done());
    auto bare = p.take();
    CHECK(bare.code == 354);
    CHECK(bare.lines == std::vector<std::string>{""});
}

TEST_CASE("reply parser rejects malformed, inconsistent and oversized replies", "[unit][mail]") {
    const auto first_error = [](std::vector<std::string> lines) {
        mail::reply_parser p;
        for (const auto& l : lines)
            if (auto ec = p.add_line(l)) return ec;
        return boost::system::error_code{};
    };
    const auto protocol_error = boost::system::error_code(mail::errc::protocol_error);
    CHECK(first_error({"25"}) == protocol_error);
    CHECK(first_error({"abc hello"}) == protocol_error);
    CHECK(first_error({"250hello"}) == protocol_error);
    CHECK(first_error({"150 not an SMTP code"}) == protocol_error);
    CHECK(first_error({"650 not an SMTP code"}) == protocol_error);
    CHECK(first_error({"250-first", "251 second"}) == protocol_error);
    CHECK(first_error({"250 done", "250 after the end"}) == protocol_error);
    CHECK_FALSE(first_error({"250 " + std::string(4092, 'x')}));
    CHECK(first_error({"250 " + std::string(4093, 'x')}) == protocol_error);

    std::vector<std::string> hundred(99, "250-line");
    hundred.push_back("250 last");
    CHECK_FALSE(first_error(hundred));
    std::vector<std::string> too_many(100, "250-line");
    too_many.push_back("250 last");
    CHECK(first_error(too_many) == protocol_error);
}

TEST_CASE("EHLO capabilities are read case-insensitively", "[unit][mail]") {
    mail::smtp_reply r{250,
                       {"mail.example.org", "PIPELINING", "starttls", "8BITMIME", "AUTH=LOGIN", "SIZE 1000"}};
    auto caps = mail::parse_ehlo(r);
    CHECK(caps.starttls);
    CHECK(caps.eight_bit_mime);
    CHECK(caps.auth);
    CHECK(caps.auth_login);
    CHECK_FALSE(caps.auth_plain);

    mail::smtp_reply s{250, {"STARTTLS is the server name here", "AUTH CRAM-MD5 plain"}};
    auto other = mail::parse_ehlo(s);
    CHECK_FALSE(other.starttls); // the first line is the greeting, not a keyword
    CHECK(other.auth_plain);
    CHECK_FALSE(other.auth_login);
}
