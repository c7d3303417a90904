#include "app/cli.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace eelchat;

namespace {
command_line parse(std::vector<const char*> args) {
    return parse_command_line(args);
}
} // namespace

TEST_CASE("the command line picks one command or explains what is wrong", "[unit][cli]") {
    CHECK(parse({}).cmd == command::serve);
    CHECK(parse({"serve"}).cmd == command::serve);
    CHECK(parse({"--version"}).cmd == command::version);
    CHECK(parse({"migrate"}).cmd == command::migrate);
    CHECK(parse({"check-config"}).cmd == command::check_config);
    CHECK(parse({"--help"}).cmd == command::help);
    CHECK(parse({"migrate"}).error.empty());

    auto unknown = parse({"--port=80"});
    CHECK_THAT(unknown.error, Catch::Contains("unknown command \"--port=80\""));
    auto extra = parse({"migrate", "now"});
    CHECK_THAT(extra.error, Catch::Contains("takes no arguments"));
    CHECK_THAT(std::string(usage_text()), Catch::Contains("check-config"));

    auto exp = parse({"export", "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "out.tar"});
    CHECK(exp.cmd == command::export_community);
    CHECK(exp.args == std::vector<std::string>{"1b4e28ba-2fa1-11d2-883f-0016d3cca427", "out.tar"});
    CHECK_THAT(parse({"export", "x"}).error, Catch::Contains("COMMUNITY_ID FILE"));
    auto imp = parse({"import", "in.tar"});
    CHECK(imp.cmd == command::import_archive);
    CHECK(imp.args == std::vector<std::string>{"in.tar"});
    CHECK_THAT(parse({"import"}).error, Catch::Contains("ARCHIVE"));
    CHECK_THAT(std::string(usage_text()), Catch::Contains("import ARCHIVE"));
}
