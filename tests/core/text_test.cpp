#include "core/text.hpp"

#include <catch2/catch.hpp>

using namespace eelchat::text;

namespace {
std::string repeat(std::string_view s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i)
        out += s;
    return out;
}
} // namespace

TEST_CASE("valid_utf8 accepts well-formed text up to U+10FFFF", "[unit][text]") {
    CHECK(valid_utf8(""));
    CHECK(valid_utf8("plain ascii"));
    CHECK(valid_utf8("caf\xc3\xa9"));               // U+00E9
    CHECK(valid_utf8("\xc2\x80"));                  // U+0080, smallest 2-byte
    CHECK(valid_utf8("\xe0\xa0\x80"));              // U+0800, smallest 3-byte
    CHECK(valid_utf8("\xed\x9f\xbf"));              // U+D7FF, just below the surrogates
    CHECK(valid_utf8("\xee\x80\x80"));              // U+E000, just above them
    CHECK(valid_utf8("\xef\xbf\xbf"));              // U+FFFF
    CHECK(valid_utf8("\xf0\x90\x80\x80"));          // U+10000, smallest 4-byte
    CHECK(valid_utf8("\xf0\x9f\x98\x80"));          // U+1F600 emoji
    CHECK(valid_utf8("\xf4\x8f\xbf\xbf"));          // U+10FFFF
    CHECK(valid_utf8(std::string_view("a\0b", 3))); // NUL is valid UTF-8
}

TEST_CASE("valid_utf8 rejects overlongs, surrogates, out-of-range and broken sequences", "[unit][text]") {
    for (std::string_view bad : {
             "\xc0\xaf",                 // overlong '/'
             "\xc1\xbf",                 // overlong 2-byte
             "\xc0\x80",                 // overlong NUL
             "\xe0\x80\xaf",             // overlong '/' in 3 bytes
             "\xe0\x9f\xbf",             // overlong U+07FF
             "\xf0\x80\x80\xaf",         // overlong '/' in 4 bytes
             "\xf0\x8f\xbf\xbf",         // overlong U+FFFF
             "\xed\xa0\x80",             // U+D800 high surrogate
             "\xed\xbf\xbf",             // U+DFFF low surrogate
             "\xed\xa0\xbd\xed\xb8\x80", // CESU-8 surrogate pair
             "\xf4\x90\x80\x80",         // U+110000
             "\xf5\x80\x80\x80",         // lead byte beyond F4
             "\xf8\x88\x80\x80\x80",     // 5-byte sequence
             "\xfc\x84\x80\x80\x80\x80", // 6-byte sequence
             "\xfe",
             "\xff",             // never valid
             "\x80",             // lone continuation
             "a\xbf",            // stray continuation after ASCII
             "\xc3",             // truncated 2-byte
             "\xe2\x82",         // truncated 3-byte
             "\xf0\x9f\x98",     // truncated 4-byte
             "\xc3(",            // lead byte followed by ASCII
             "\xe2\x28\xa1",     // bad second byte
             "\xf0\x9f\x98\x28", // bad last byte
         })
        CHECK_FALSE(valid_utf8(bad));
}

TEST_CASE("utf8_length counts code points", "[unit][text]") {
    CHECK(utf8_length("") == 0);
    CHECK(utf8_length("abc") == 3);
    CHECK(utf8_length("caf\xc3\xa9") == 4);
    CHECK(utf8_length("\xe2\x82\xac\xf0\x9f\x98\x80") == 2);
}

TEST_CASE("normalize_email trims and lowercases a valid address", "[unit][text][email]") {
    CHECK(normalize_email(" A@B.CO ") == "a@b.co");
    CHECK(normalize_email("\tJane.Doe+chat@Example.ORG\r\n") == "jane.doe+chat@example.org");
    CHECK(normalize_email("o'brien@mail.example.co.uk") == "o'brien@mail.example.co.uk");
    CHECK(normalize_email("x@a-b.c0") == "x@a-b.c0");
    CHECK(normalize_email("user@m\xc3\xbcnchen.de") == "user@m\xc3\xbcnchen.de"); // non-ASCII kept as is
    CHECK(normalize_email("\xc3\x9cSER@EXAMPLE.COM") == "\xc3\x9cser@example.com");
}

TEST_CASE("normalize_email refuses malformed and hostile addresses", "[unit][text][email]") {
    for (std::string_view bad : {
             "",
             "   ",
             "a@b",
             "ab",
             "@b.co",
             "a@",
             "a@.co",
             "a@b.",
             "a@b..co",
             "a@@b.co",
             "a@b@c.co",
             "a b@c.de",
             "a@c d.de",
             "a@b.co\nBcc: x@y.z",
             "a\x01@b.co",
             "a\x7f@b.co",
             "x@-a.co",
             "x@a-.co",
             "x@a.-co",
             "x@a_b.co",
             "x@a.co.",
             "<a@b.co>",
             "a<b@c.co",
             "a>b@c.co",
             "\"a\"@b.co",
             "a,b@c.co",
             "a;b@c.co",
             "a\\b@c.co",
             "a(b)@c.co",
             "a:b@c.co",
             ".a@b.co",
             "a.@b.co",
             "a..b@c.co",
             "a@[127.0.0.1]",
             "a@b.co,c@d.co",
             "a\xc2\xa0@b.co",
             "a@b\xe2\x80\x8b.co",
             "a@b\xc0\xaf.co",
             "a@b\xed\xa0\x80.co",
         })
        CHECK_FALSE(normalize_email(bad).has_value());
}

TEST_CASE("normalize_email enforces the length limits", "[unit][text][email]") {
    std::string local64(64, 'a');
    CHECK(normalize_email(local64 + "@b.co").has_value());
    CHECK_FALSE(normalize_email(local64 + "a@b.co").has_value());

    std::string label63(63, 'd');
    CHECK(normalize_email("a@" + label63 + ".co").has_value());
    CHECK_FALSE(normalize_email("a@" + label63 + "d.co").has_value());

    // 254 bytes is the most an address can have; label lengths stay legal so only the total matters.
    std::string domain = repeat(repeat("x", 49).append("."), 4).append("co"); // 202 bytes
    std::string at254 = repeat("a", 51).append("@").append(domain);
    REQUIRE(at254.size() == 254);
    CHECK(normalize_email(at254).has_value());
    CHECK_FALSE(normalize_email("a" + at254).has_value());
    CHECK(normalize_email("  " + at254 + "  ").has_value()); // trimmed before counting
    CHECK_FALSE(normalize_email(repeat("a", 300).append("@b.co")).has_value());
    CHECK_FALSE(normalize_email("a@" + repeat("b.", 148) + "co").has_value());
}

TEST_CASE("check_message_text accepts ordinary messages", "[unit][text][message]") {
    CHECK(check_message_text("hello") == message_problem::none);
    CHECK(check_message_text("  hi  \n") == message_problem::none);
    CHECK(check_message_text("\xf0\x9f\x98\x80") == message_problem::none);
    CHECK(check_message_text("a\xc2\xa0") == message_problem::none);
    CHECK(check_message_text("x", 1) == message_problem::none);
}

TEST_CASE("check_message_text reports invalid UTF-8 before anything else", "[unit][text][message]") {
    CHECK(check_message_text("\xc0\xaf") == message_problem::invalid_utf8);
    CHECK(check_message_text("   \xed\xa0\x80") == message_problem::invalid_utf8);
    CHECK(check_message_text(repeat("a", 5000) + "\xff") == message_problem::invalid_utf8);
    CHECK(check_message_text(std::string_view("hi\0there", 8)) == message_problem::invalid_utf8);
}

TEST_CASE("check_message_text treats whitespace and invisible blanks as empty", "[unit][text][message]") {
    CHECK(check_message_text("") == message_problem::empty);
    CHECK(check_message_text("   \n\t ") == message_problem::empty);
    CHECK(check_message_text("\r\n\v\f") == message_problem::empty);
    CHECK(check_message_text("\u00a0") == message_problem::empty);
    CHECK(check_message_text("\u2000\u2003\u200a\u200b") == message_problem::empty);
    CHECK(check_message_text("\u3000") == message_problem::empty);
    CHECK(check_message_text("\ufeff") == message_problem::empty);
    CHECK(check_message_text(" \u00a0 \u3000\n\ufeff") == message_problem::empty);
    CHECK(check_message_text(repeat(" ", 5000)) == message_problem::empty); // empty, not too_long
}

TEST_CASE("check_message_text counts code points, not bytes", "[unit][text][message]") {
    std::string euro = "\xe2\x82\xac";      // 3 bytes
    std::string emoji = "\xf0\x9f\x98\x80"; // 4 bytes
    CHECK(check_message_text(repeat(euro, 4000)) == message_problem::none);
    CHECK(check_message_text(repeat(euro, 4001)) == message_problem::too_long);
    CHECK(check_message_text(repeat(emoji, 4000)) == message_problem::none);
    CHECK(check_message_text(repeat(emoji, 4001)) == message_problem::too_long);
    CHECK(check_message_text(repeat("a", 4000)) == message_problem::none);
    CHECK(check_message_text(repeat("a", 4001)) == message_problem::too_long);
    CHECK(check_message_text("abc", 2) == message_problem::too_long);
}

TEST_CASE("normalize_newlines turns CRLF and lone CR into LF", "[unit][text]") {
    CHECK(normalize_newlines("a\r\nb\rc\nd") == "a\nb\nc\nd");
    CHECK(normalize_newlines("\r\r\n\n") == "\n\n\n");
    CHECK(normalize_newlines("\r") == "\n");
    CHECK(normalize_newlines("\n\r") == "\n\n");
    CHECK(normalize_newlines("") == "");
    CHECK(normalize_newlines("no breaks") == "no breaks");
}

TEST_CASE("clean_display_name trims and keeps ordinary names", "[unit][text][name]") {
    CHECK(clean_display_name("Ann") == "Ann");
    CHECK(clean_display_name("  Ann Lee  ") == "Ann Lee");
    CHECK(clean_display_name("\u00a0Jos\u00e9\u3000") == "Jos\u00e9");
    CHECK(clean_display_name("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x92\xbb") ==
          "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x92\xbb"); // emoji joined by ZWJ
    CHECK(clean_display_name("x") == "x");
}

TEST_CASE("clean_display_name limits the length to 50 code points", "[unit][text][name]") {
    CHECK(clean_display_name(repeat("\xc3\xa9", 50)) == repeat("\xc3\xa9", 50));
    CHECK_FALSE(clean_display_name(repeat("\xc3\xa9", 51)).has_value());
    CHECK(clean_display_name("  " + repeat("a", 50) + "  ").has_value());
    CHECK_FALSE(clean_display_name(repeat("a", 51)).has_value());
}

TEST_CASE("clean_display_name refuses empty, invalid and control-laden names", "[unit][text][name]") {
    for (std::string_view bad : {
             "",
             "   ",
             "\t\n",
             "\u00a0\u200b",
             "\xc0\xaf",
             "Ann\xed\xa0\x80",
             "Ann\nLee",
             "Ann\r\nLee",
             "Ann\tLee",
             "Ann\x7f",
             "Ann\xc2\x85Lee",
             "Ann\xc2\x9b",
             "Ann\u2028Lee",
             "Ann\u202eeeL",
             "\u2066Ann\u2069x",
         })
        CHECK_FALSE(clean_display_name(bad).has_value());
    CHECK_FALSE(clean_display_name(std::string_view("Ann\0", 4)).has_value());
}

TEST_CASE("message text refuses the controls that reorder what follows them", "[unit][text]") {
    CHECK(check_message_text("invoice\xe2\x80\xaegpj.exe") == message_problem::direction_controls); // U+202E
    CHECK(check_message_text("a\xe2\x81\xa6"
                             "b") == message_problem::direction_controls); // U+2066
    CHECK(check_message_text("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d\xe2\x80\x8f!") ==
          message_problem::none); // RLM stays
}

TEST_CASE("display names that read as the system or a nameless member are reserved", "[unit][text]") {
    for (const char* name : {"System", "system", " S Y S T E M ", "SYST3M", "$ystem", "eelchat", "Admin",
                             "Moderator", "Former member", "User 1a2b", "user-00ff"})
        CHECK(is_reserved_display_name(name));
    for (const char* name : {"Systems Team", "Ada", "Userland", "User Fox", "Sysadmin Sam", "Admiral"})
        CHECK_FALSE(is_reserved_display_name(name));
}

TEST_CASE("form values keep unreserved characters and encode the rest", "[unit][text]") {
    CHECK(form_encode("aZ09-._~") == "aZ09-._~");
    CHECK(form_encode("a b&c=d/é") == "a+b%26c%3Dd%2F%C3%A9");
    CHECK(form_encode("") == "");
}
