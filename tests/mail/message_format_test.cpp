// The email as it goes over SMTP: base64, encoded subjects, dates, CRLF, dot-stuffing, quoted-printable
// and the whole formatted message.
#include "mail/message_format.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace eelchat;

namespace {

// Test-only decoder for checking encoded words; the client itself never decodes base64.
std::string base64_decode(std::string_view in) {
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (char c : in) {
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+')
            v = 62;
        else if (c == '/')
            v = 63;
        else
            break;
        acc = acc << 6 | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    return out;
}

std::vector<std::string> split_crlf(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        auto end = s.find("\r\n", start);
        if (end == std::string::npos) {
            out.push_back(s.substr(start));
            return out;
        }
        out.push_back(s.substr(start, end - start));
        start = end + 2;
    }
}

} // namespace

TEST_CASE("base64 and the AUTH PLAIN response follow RFC 4648 and RFC 4616", "[unit][mail]") {
    CHECK(mail::base64_encode("") == "");
    CHECK(mail::base64_encode("f") == "Zg==");
    CHECK(mail::base64_encode("fo") == "Zm8=");
    CHECK(mail::base64_encode("foo") == "Zm9v");
    CHECK(mail::base64_encode("foob") == "Zm9vYg==");
    CHECK(mail::base64_encode("fooba") == "Zm9vYmE=");
    CHECK(mail::base64_encode("foobar") == "Zm9vYmFy");
    CHECK(mail::base64_encode("\xff\xfe") == "//4=");
    CHECK(mail::auth_plain_response("tim", "tanstaaftanstaaf") == "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
}

TEST_CASE("subjects are RFC 2047 encoded only when needed", "[unit][mail]") {
    CHECK(mail::encode_subject("Your sign-in link") == "Your sign-in link");
    CHECK(mail::encode_subject("") == "");

    const std::string utf8 = "Willkommen bei eelchat, Jürgen! Grüße aus Köln \xe2\x9c\x93 \xf0\x9f\x90\x8d "
                             "und noch ein paar Wörter, damit es mehrere Zeilen werden";
    const std::string encoded = mail::encode_subject(utf8);
    std::string decoded;
    bool first = true;
    for (const auto& line : split_crlf(encoded)) {
        // Every line of the header, "Subject: " included on the first, fits in 78 characters.
        CHECK((first ? 9 : 0) + line.size() <= 78);
        std::string_view word = line;
        if (!first) {
            REQUIRE(word.starts_with(' '));
            word.remove_prefix(1);
        }
        first = false;
        REQUIRE(word.starts_with("=?UTF-8?B?"));
        REQUIRE(word.ends_with("?="));
        word.remove_prefix(10);
        word.remove_suffix(2);
        const std::string part = base64_decode(word);
        // No encoded word starts in the middle of a UTF-8 character.
        REQUIRE_FALSE(part.empty());
        CHECK((static_cast<unsigned char>(part[0]) & 0xc0) != 0x80);
        decoded += part;
    }
    CHECK(decoded == utf8);

    // Text that looks like an encoded word, and control characters, must not reach a reader raw.
    CHECK(mail::encode_subject("=?UTF-8?B?Zm9v?=").starts_with("=?UTF-8?B?"));
    CHECK(mail::encode_subject("tab\there").starts_with("=?UTF-8?B?"));
    CHECK(mail::encode_subject(std::string(100, 'a')).starts_with("=?UTF-8?B?"));
}

TEST_CASE("dates are RFC 5322 in UTC", "[unit][mail]") {
    using std::chrono::seconds;
    using std::chrono::system_clock;
    CHECK(mail::format_rfc5322_date(system_clock::time_point(seconds(1751373296))) ==
          "Tue, 01 Jul 2025 12:34:56 +0000");
    CHECK(mail::format_rfc5322_date(system_clock::time_point(seconds(1709175845))) ==
          "Thu, 29 Feb 2024 03:04:05 +0000");
}

TEST_CASE("line breaks become CRLF and dot-stuffing protects the end of DATA", "[unit][mail]") {
    CHECK(mail::normalize_crlf("a\nb\r\nc\rd\r\r\n") == "a\r\nb\r\nc\r\nd\r\n\r\n");
    CHECK(mail::dot_stuff(".a\r\nb\r\n..c\r\n.\r\n") == "..a\r\nb\r\n...c\r\n..\r\n.\r\n");
    CHECK(mail::dot_stuff("no final break") == "no final break\r\n.\r\n");
    CHECK(mail::dot_stuff("a.b\r\n") == "a.b\r\n.\r\n");
}

TEST_CASE("quoted-printable keeps lines short and encodes what relays would mangle", "[unit][mail]") {
    CHECK(mail::quoted_printable("caf\xc3\xa9 = ok \r\nnext\t") == "caf=C3=A9 =3D ok=20\r\nnext=09");
    CHECK(mail::quoted_printable("a b\r\n\r\n") == "a b\r\n\r\n");

    const std::string long_line(100, 'x');
    const std::string mixed = std::string(74, 'y') + "\xc3\xa9" + long_line;
    for (const auto& input : {long_line, mixed}) {
        const std::string qp = mail::quoted_printable(input);
        std::string unfolded;
        for (const auto& line : split_crlf(qp)) {
            CHECK(line.size() <= 76);
            unfolded += line.ends_with('=') ? line.substr(0, line.size() - 1) : line;
        }
        // Soft breaks never split an =XX escape.
        CHECK(unfolded == (input == long_line ? long_line : std::string(74, 'y') + "=C3=A9" + long_line));
    }
}

TEST_CASE("a formatted message has every header and CRLF line breaks only", "[unit][mail]") {
    mail::outgoing_headers h{"eelchat@chat.example", "Tue, 01 Jul 2025 12:34:56 +0000",
                             "<id.1@chat.example>"};
    mail::message m{"bob@example.org", "Hi", "line one\n.dot line\nno final break"};
    auto f = mail::format_message(m, h, true);
    CHECK(f.transfer_encoding == "7bit");
    const std::string& s = f.content;
    CHECK_THAT(s, Catch::StartsWith("Date: Tue, 01 Jul 2025 12:34:56 +0000\r\n"));
    CHECK_THAT(s, Catch::Contains("\r\nFrom: eelchat@chat.example\r\n"));
    CHECK_THAT(s, Catch::Contains("\r\nTo: bob@example.org\r\n"));
    CHECK_THAT(s, Catch::Contains("\r\nSubject: Hi\r\n"));
    CHECK_THAT(s, Catch::Contains("\r\nMessage-ID: <id.1@chat.example>\r\n"));
    CHECK_THAT(s, Catch::Contains("\r\nMIME-Version: 1.0\r\n"));
    CHECK_THAT(s, Catch::Contains("\r\nContent-Type: text/plain; charset=utf-8\r\n"));
    CHECK_THAT(s, Catch::Contains("\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"));
    CHECK_THAT(s, Catch::EndsWith("\r\n\r\nline one\r\n.dot line\r\nno final break\r\n"));
    for (std::size_t i = 0; i < s.size(); ++i)
        if (s[i] == '\n') REQUIRE((i > 0 && s[i - 1] == '\r'));

    mail::message utf8{"bob@example.org", "Hi", "Grüße"};
    CHECK(mail::format_message(utf8, h, true).transfer_encoding == "8bit");
    CHECK(mail::format_message(utf8, h, false).transfer_encoding == "quoted-printable");
    CHECK_THAT(mail::format_message(utf8, h, false).content, Catch::EndsWith("\r\n\r\nGr=C3=BC=C3=9Fe\r\n"));
    mail::message long_line{"bob@example.org", "Hi", std::string(1200, 'a')};
    CHECK(mail::format_message(long_line, h, true).transfer_encoding == "quoted-printable");
    mail::message nul{"bob@example.org", "Hi", std::string("a\0b", 3)};
    CHECK(mail::format_message(nul, h, true).transfer_encoding == "quoted-printable");
}
