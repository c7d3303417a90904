#include "core/log.hpp"

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
