#include "uploads/names.hpp"

#include "core/text.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;

TEST_CASE("a file name keeps only its last path component, without controls", "[unit][uploads]") {
    CHECK(uploads::clean_file_name("photo.png") == "photo.png");
    CHECK(uploads::clean_file_name("../../etc/passwd") == "passwd");
    CHECK(uploads::clean_file_name("C:\\Users\\bob\\report.pdf") == "report.pdf");
    CHECK(uploads::clean_file_name("a/b\\c/\"evil\"\a.html") == "\"evil\".html");
    CHECK(uploads::clean_file_name("line\nbreak\r.txt") == "linebreak.txt");
    // A right-to-left override would show "photo\u202Egpj.exe" as "photoexe.jpg".
    CHECK(uploads::clean_file_name("photo\xE2\x80\xAEgpj.exe") == "photogpj.exe");
    CHECK(uploads::clean_file_name("bad\xff\xfe.bin") == "bad.bin");
    CHECK(uploads::clean_file_name("  spaced  ") == "spaced");
    CHECK(uploads::clean_file_name("") == "file");
    CHECK(uploads::clean_file_name("dir/") == "file");
    CHECK(uploads::clean_file_name("..") == "file");
    CHECK(uploads::clean_file_name("Überweisung 日本.pdf") == "Überweisung 日本.pdf");
}

TEST_CASE("a long file name is cut to 255 bytes on a character boundary", "[unit][uploads]") {
    std::string name;
    for (int i = 0; i < 200; ++i)
        name += "é"; // two bytes each
    auto kept = uploads::clean_file_name(name);
    CHECK(kept.size() == 254);
    CHECK(text::valid_utf8(kept));
}

TEST_CASE("Content-Disposition carries an ASCII fallback and the exact UTF-8 name", "[unit][uploads]") {
    CHECK(uploads::content_disposition(false, "a \"b\".html") ==
          "attachment; filename=\"a _b_.html\"; filename*=UTF-8''a%20%22b%22.html");
    CHECK(uploads::content_disposition(true, "日.png") ==
          "inline; filename=\"___.png\"; filename*=UTF-8''%E6%97%A5.png");
}

TEST_CASE("sizes read as people say them", "[unit][uploads]") {
    CHECK(text::human_size(0) == "0 bytes");
    CHECK(text::human_size(1) == "1 byte");
    CHECK(text::human_size(1023) == "1023 bytes");
    CHECK(text::human_size(1024) == "1.0 KB");
    CHECK(text::human_size(340 * 1024) == "340 KB");
    CHECK(text::human_size(1258291) == "1.2 MB");
    CHECK(text::human_size(25LL * 1024 * 1024) == "25 MB");
    CHECK(text::human_size(100LL * 1024 * 1024) == "100 MB");
    CHECK(text::human_size(3LL * 1024 * 1024 * 1024) == "3.0 GB");
    CHECK(text::percent_encode("a b/ü") == "a%20b%2F%C3%BC");
}
