#include "archive/format.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;
using archive::check_line;
using db::archive_part;

TEST_CASE("the manifest names the format, its version, the community and the counts", "[unit][archive]") {
    archive::manifest m;
    m.title = "Eel \"fans\"";
    m.exported_at = "2026-12-03T14:00:00Z";
    m.members = 3;
    m.messages = 1000000;
    m.uploads = 12;
    const auto text = archive::manifest_json(m);
    CHECK_THAT(text, Catch::Contains("\"format\":\"eelchat-export\""));
    CHECK_THAT(text, Catch::Contains("\"version\":1"));
    auto back = archive::parse_manifest(text);
    REQUIRE(back.value);
    CHECK(back.value->title == "Eel \"fans\"");
    CHECK(back.value->messages == 1000000);
    CHECK(back.value->uploads == 12);
    CHECK(back.value->exported_at == "2026-12-03T14:00:00Z");

    CHECK(archive::parse_manifest("not json").error == "manifest.json is not a JSON object");
    CHECK_THAT(archive::parse_manifest(R"({"format":"slack","version":1})").error,
               Catch::Contains("eelchat-export format"));
    CHECK_THAT(
        archive::parse_manifest(R"({"format":"eelchat-export","version":2,"community":{"title":"x"}})").error,
        Catch::Contains("version"));
    CHECK_THAT(archive::parse_manifest(R"({"format":"eelchat-export","version":1})").error,
               Catch::Contains("title"));
}

TEST_CASE("each JSON line is checked for its fields before it is imported", "[unit][archive]") {
    CHECK(check_line(
              archive_part::members,
              R"({"email":"a@b.c","display_name":null,"roles":["admin"],"joined_at":"2026-01-01T00:00:00Z"})")
              .empty());
    CHECK(check_line(archive_part::members, R"({"display_name":"Ann"})") == "\"email\" is missing");
    CHECK(check_line(archive_part::members, R"({"email":"a@b.c","roles":"admin"})") ==
          "\"roles\" is not a list");
    CHECK(check_line(archive_part::members, "{\"email\":") == "not JSON");
    CHECK(check_line(archive_part::members, "[1,2]") == "not a JSON object");

    const std::string channel_id = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
    CHECK(
        check_line(archive_part::channels,
                   R"({"id":")" + channel_id + R"(","title":"general","kind":"private","members":["a@b.c"]})")
            .empty());
    CHECK(check_line(archive_part::channels, R"({"id":"7","title":"general","kind":"public"})") ==
          "\"id\" is not a UUID");
    CHECK(
        check_line(archive_part::channels, R"({"id":")" + channel_id + R"(","title":"g","kind":"secret"})") ==
        "\"kind\" is not public, private or direct");

    const std::string message = R"({"id":")" + channel_id + R"(","channel":")" + channel_id +
                                R"(","author":"a@b.c","created_at":"2026-01-01T00:00:00Z")";
    CHECK(check_line(archive_part::messages, message + R"(,"text":"hi","mentions":["b@c.d"]})").empty());
    CHECK(check_line(archive_part::messages, message + R"(,"text":null,"deleted":true})").empty());
    CHECK(check_line(archive_part::messages, message + "}") == "\"text\" is missing");
    CHECK(check_line(archive_part::messages, message + R"(,"text":"hi","parent":"nope"})") ==
          "\"parent\" is not a UUID");
    CHECK(check_line(archive_part::messages, message + R"(,"text":"hi","deleted":"yes"})") ==
          "\"deleted\" is not true or false");

    CHECK(check_line(archive_part::reactions,
                     R"({"message":")" + channel_id + R"(","emoji":"👍","member":"a@b.c"})")
              .empty());
    CHECK(check_line(archive_part::reactions, R"({"message":")" + channel_id + R"(","emoji":"👍"})") ==
          "\"member\" is missing");
}

TEST_CASE("an upload's line states its message, name, size and sha256", "[unit][archive]") {
    const std::string id = "6f1c2a8e-2d7b-4c3e-9a51-0b7d9c1e2f30";
    const std::string sha(64, 'a');
    const std::string base = R"({"id":")" + id + R"(","message":")" + id + R"(","name":"eel.png",)" +
                             R"("content_type":"image/png","size":12,"sha256":")" + sha + R"(")";
    CHECK(check_line(archive_part::uploads, base + "}").empty());
    CHECK(check_line(archive_part::uploads, base + R"(,"has_thumbnail":true,"width":320,"height":200})")
              .empty());
    CHECK(check_line(archive_part::uploads, base + R"(,"width":-1})") ==
          "\"width\" is not a whole number of at least 0");
    CHECK(check_line(archive_part::uploads, R"({"id":")" + id + R"(","message":")" + id +
                                                R"(","name":"","content_type":"x","size":1,"sha256":")" +
                                                sha + R"("})") == "\"name\" is not 1 to 255 bytes");
    CHECK(check_line(archive_part::uploads,
                     R"({"id":")" + id + R"(","message":")" + id +
                         R"(","name":"a","content_type":"x","size":1,"sha256":"abc"})") ==
          "\"sha256\" is not 64 hex digits");
    CHECK(check_line(archive_part::uploads, R"({"id":")" + id + R"(","name":"a"})") ==
          "\"message\" is missing");
}

TEST_CASE("files/ entries name an upload or its thumbnail", "[unit][archive]") {
    const std::string id = "6f1c2a8e-2d7b-4c3e-9a51-0b7d9c1e2f30";
    CHECK(archive::file_entry(id, false) == "files/" + id);
    CHECK(archive::file_entry(id, true) == "files/" + id + ".thumbnail");
    auto plain = archive::parse_file_entry("files/" + id);
    REQUIRE(plain);
    CHECK(plain->upload_id == id);
    CHECK_FALSE(plain->thumbnail);
    auto thumb = archive::parse_file_entry("files/6F1C2A8E-2D7B-4C3E-9A51-0B7D9C1E2F30.thumbnail");
    REQUIRE(thumb);
    CHECK(thumb->upload_id == id);
    CHECK(thumb->thumbnail);
    CHECK_FALSE(archive::parse_file_entry("files/"));
    CHECK_FALSE(archive::parse_file_entry("files/../etc/passwd"));
    CHECK_FALSE(archive::parse_file_entry("members.jsonl"));
}

TEST_CASE("the download is named after the community and the day", "[unit][archive]") {
    CHECK(archive::download_name("Eel fans", "2026-12-03") == "eelchat-Eel-fans-2026-12-03.tar");
    CHECK(archive::download_name("a\"b/../c\r\nd", "2026-12-03") == "eelchat-a-b-c-d-2026-12-03.tar");
    CHECK(archive::download_name("日本", "2026-12-03") == "eelchat-community-2026-12-03.tar");
    CHECK(archive::utc_timestamp(0) == "1970-01-01T00:00:00Z");
}
