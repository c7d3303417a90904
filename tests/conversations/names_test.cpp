// Names of rooms and reactions (conversations/names.hpp).
#include "conversations/names.hpp"

#include <catch2/catch.hpp>

using namespace eelchat::conversations;

TEST_CASE("room names: trimmed, one line, 1 to 80 characters, no control or bidi characters",
          "[unit][names]") {
    CHECK(check_name("  Eel fans  ").name == "Eel fans");
    CHECK(check_name("").problem == name_problem::empty);
    CHECK(check_name("   ").problem == name_problem::empty);
    CHECK(check_name(std::string(80, 'a')).name);
    CHECK(check_name(std::string(81, 'a')).problem == name_problem::invalid);
    CHECK(check_name("two\nlines").problem == name_problem::invalid);
    CHECK(check_name("evil\u202Etxt.exe").problem == name_problem::invalid);
    CHECK(check_name("bell\x07").problem == name_problem::invalid);
    CHECK(check_name("\xff\xfe").problem == name_problem::invalid);
    CHECK(check_name("Ålesund — 鰻").name == "Ålesund — 鰻");
    CHECK(check_topic("") == std::string());
    CHECK(check_topic(std::string(250, 't')));
    CHECK_FALSE(check_topic(std::string(251, 't')));
    CHECK_FALSE(check_topic("a\u2066b"));
}

TEST_CASE("reactions: one emoji, sequences included, nothing else", "[unit][names]") {
    for (const char* ok : {"👍", " 🎉 ", "❤️", "👍🏽", "👨‍👩‍👧", "🇳🇴", "1️⃣",
                           "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "✅"}) {
        INFO(ok);
        CHECK(clean_emoji(ok));
    }
    CHECK(*clean_emoji(" 🎉 ") == "🎉");
    CHECK(*clean_emoji("\u202E👍\n") == "👍"); // invisible characters around it are trimmed away
    for (const char* bad : {"", "a", "ok", "<b>", "👍 x", "1", "#", "👍\u202E👍", "👍\n👍", "\"><script>"}) {
        INFO(bad);
        CHECK_FALSE(clean_emoji(bad));
    }
    CHECK_FALSE(clean_emoji(std::string(20, '\xF0')));
    std::string many;
    for (int i = 0; i < 20; ++i)
        many += "👍";
    CHECK_FALSE(clean_emoji(many)); // more than 16 code points
}
