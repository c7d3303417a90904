#include "core/log.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using namespace eelchat;

TEST_CASE("log lines are key=value with values quoted when needed", "[unit][log]") {
    auto line = format_log_line(
        log_level::info, "request",
        {{"method", "GET"}, {"path", "/a b"}, {"status", 200}, {"ok", true}, {"q", "x\"y\n"}});
    CHECK_THAT(line, Catch::StartsWith("ts="));
    CHECK_THAT(line,
               Catch::Contains(" level=info event=request method=GET path=\"/a b\" status=200 ok=true"));
    CHECK_THAT(line, Catch::EndsWith("q=\"x\\\"y\\n\""));
    CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("a logger drops lines below its level", "[unit][log]") {
    std::vector<std::string> lines;
    logger log(log_level::warn, [&](std::string_view l) { lines.emplace_back(l); });
    log.info("ignored");
    log.warn("kept", {{"n", 1}});
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::Contains("level=warn event=kept n=1"));
}

TEST_CASE("json log lines are one JSON object each, whatever bytes a value holds", "[unit][log]") {
    auto line = format_json_log_line(log_level::warn, "request",
                                     {{"path", std::string_view("/a\"b\\c\n\x01\xff\xc3\xa9", 11)},
                                      {"status", 404},
                                      {"ms", 1.5},
                                      {"ok", false}});
    CHECK(line.find('\n') == std::string::npos);
    auto v = boost::json::parse(line).as_object();
    CHECK(v.at("level").as_string() == "warn");
    CHECK(v.at("event").as_string() == "request");
    CHECK(v.at("path").as_string() == "/a\"b\\c\n\x01\xef\xbf\xbd\xc3\xa9");
    CHECK(v.at("status").as_int64() == 404);
    CHECK(v.at("ms").as_double() == 1.5);
    CHECK(v.at("ok").as_bool() == false);
    CHECK(v.at("ts").as_string().size() == 24);
}

TEST_CASE("a json logger writes the same events as JSON", "[unit][log]") {
    std::vector<std::string> lines;
    logger log(
        log_level::info, [&](std::string_view l) { lines.emplace_back(l); }, log_format::json);
    log.info("listening", {{"port", 8080}});
    REQUIRE(lines.size() == 1);
    CHECK(boost::json::parse(lines[0]).as_object().at("port").as_int64() == 8080);
    CHECK(parse_log_format("json") == log_format::json);
    CHECK(parse_log_format("text") == log_format::text);
    CHECK_FALSE(parse_log_format("xml"));
}
