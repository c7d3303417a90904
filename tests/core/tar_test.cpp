#include "core/tar.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <memory>
#include <string>

using namespace eelchat;

namespace {

using file_ptr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

file_ptr temp() {
    return file_ptr(std::tmpfile(), &std::fclose);
}

std::string contents(std::FILE* f) {
    std::rewind(f);
    std::string out;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;)
        out.append(buf, n);
    return out;
}

} // namespace

TEST_CASE("a tar written entry by entry reads back with its names, sizes and lines", "[unit][tar]") {
    auto f = temp();
    tar::writer w(f.get());
    w.begin_file("manifest.json", 1700000000);
    w.write("{\"format\":\"eelchat-export\"}\n");
    w.end_file();
    w.add_directory("files/", 1700000000);
    w.begin_file("messages.jsonl", 1700000000);
    const std::string long_line(700, 'x'); // crosses a 512-byte block
    w.write("first\n");
    w.write(long_line);
    w.write("\nlast without newline");
    w.end_file();
    w.begin_file("empty.jsonl", 1700000000);
    w.end_file();
    w.finish();

    const auto bytes = contents(f.get());
    CHECK(bytes.size() % 512 == 0);
    CHECK(bytes.substr(257, 5) == "ustar");

    std::rewind(f.get());
    tar::reader r(f.get());
    auto e = r.next();
    REQUIRE(e);
    CHECK(e->name == "manifest.json");
    CHECK(e->type == '0');
    CHECK(r.read_all(1000) == "{\"format\":\"eelchat-export\"}\n");
    e = r.next();
    REQUIRE(e);
    CHECK(e->name == "files/");
    CHECK(e->type == '5');
    e = r.next();
    REQUIRE(e);
    CHECK(e->name == "messages.jsonl");
    CHECK(e->size == 6 + 700 + 1 + 20);
    CHECK(r.read_line(1000) == std::optional<std::string>("first"));
    CHECK(r.read_line(1000) == std::optional<std::string>(long_line));
    CHECK(r.read_line(1000) == std::optional<std::string>("last without newline"));
    CHECK_FALSE(r.read_line(1000));
    e = r.next();
    REQUIRE(e);
    CHECK(e->name == "empty.jsonl");
    CHECK(e->size == 0);
    CHECK_FALSE(r.next());
}

TEST_CASE("the tar reader skips unread contents and refuses what is not a tar", "[unit][tar]") {
    auto f = temp();
    tar::writer w(f.get());
    w.begin_file("a", 0);
    w.write(std::string(1500, 'a'));
    w.end_file();
    w.begin_file("b", 0);
    w.write("bee\n");
    w.end_file();
    w.finish();
    std::rewind(f.get());
    tar::reader r(f.get());
    REQUIRE(r.next()->name == "a");
    auto b = r.next(); // without reading a
    REQUIRE(b);
    CHECK(b->name == "b");
    CHECK(r.read_line(100) == std::optional<std::string>("bee"));

    // A line over the limit is refused, not read into memory.
    std::rewind(f.get());
    tar::reader limited(f.get());
    limited.next();
    CHECK_THROWS_WITH(limited.read_line(100), Catch::Contains("longer than the limit"));

    auto junk = temp();
    const std::string text = "this is not an archive at all, just some text" + std::string(600, ' ');
    std::fwrite(text.data(), 1, text.size(), junk.get());
    std::rewind(junk.get());
    tar::reader not_tar(junk.get());
    CHECK_THROWS_WITH(not_tar.next(), Catch::Contains("not a tar"));

    // A flipped byte in a header fails its checksum.
    auto bytes = contents(f.get());
    bytes[0] = 'z';
    CHECK_FALSE(tar::parse_header(std::string_view(bytes).substr(0, 512)));
}

TEST_CASE("a truncated tar is reported as truncated", "[unit][tar]") {
    auto f = temp();
    tar::writer w(f.get());
    w.begin_file("a.jsonl", 0);
    w.write(std::string(1000, 'a'));
    w.end_file();
    w.finish();
    const auto bytes = contents(f.get());
    auto cut = temp();
    std::fwrite(bytes.data(), 1, 512 + 300, cut.get());
    std::rewind(cut.get());
    tar::reader r(cut.get());
    REQUIRE(r.next());
    CHECK_THROWS_WITH(r.read_line(5000), Catch::Contains("truncated"));
}

TEST_CASE("read_some streams an entry in pieces of at most the size asked", "[unit][tar]") {
    auto f = temp();
    tar::writer w(f.get());
    std::string bytes;
    for (int i = 0; i < 1300; ++i)
        bytes += static_cast<char>(i % 251);
    w.begin_file("files/one", 1700000000);
    w.write(std::string_view(bytes).substr(0, 600));
    w.write(std::string_view(bytes).substr(600));
    w.end_file();
    w.begin_file("files/two", 1700000000);
    w.write("next");
    w.end_file();
    w.finish();

    std::rewind(f.get());
    tar::reader r(f.get());
    REQUIRE(r.next());
    std::string got;
    for (std::string piece; !(piece = r.read_some(512)).empty();) {
        CHECK(piece.size() <= 512);
        got += piece;
    }
    CHECK(got == bytes);
    CHECK(r.read_some(512).empty());
    auto e = r.next();
    REQUIRE(e);
    CHECK(e->name == "files/two");
    CHECK(r.read_some(2) == "ne");
    // What is left unread is skipped by next().
    CHECK_FALSE(r.next());
}
