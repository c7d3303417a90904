// Mentions in a message's text and its rendered HTML (conversations/mentions.hpp).
#include "conversations/mentions.hpp"

#include <catch2/catch.hpp>

using namespace eelchat::conversations;

TEST_CASE("mentions: @**Name** and @channel are found outside code, each name once", "[unit][mentions]") {
    auto m = find_mentions("hi @**Bob** and @**Ann Lee**, also @**Bob** again");
    CHECK(m.names == std::vector<std::string>{"Bob", "Ann Lee"});
    CHECK_FALSE(m.channel);
    CHECK(find_mentions("heads up @channel!").channel);
    CHECK_FALSE(find_mentions("mail me at x@channel.org").channel);
    CHECK_FALSE(find_mentions("see @channels").channel);
    CHECK_FALSE(find_mentions("`@channel` is how you ping everyone").channel);
    CHECK(find_mentions("```\n@**Bob**\n@channel\n```\nok").names.empty());
    CHECK(find_mentions("```\n@channel\n```\n@channel").channel);
    CHECK(find_mentions("@** **").names.empty());
    CHECK(find_mentions("@**unclosed").names.empty());
    CHECK(find_mentions("@**" + std::string(51, 'a') + "**").names.empty());
}

TEST_CASE("mentions: resolved names become mention spans, the rest stays as written", "[unit][mentions]") {
    const std::vector<std::pair<std::string, std::string>> resolved{{"bob", "11111111-1111-1111-1111-111111111111"}};
    CHECK(link_mentions("<p>hi @<strong>Bob</strong>!</p>", resolved, false) ==
          "<p>hi <span class=\"mention\" data-member=\"11111111-1111-1111-1111-111111111111\">@Bob</span>!</p>");
    // Names match without regard to ASCII case; unknown names are left alone.
    CHECK(link_mentions("<p>@<strong>BOB</strong> @<strong>Eve</strong></p>", resolved, false) ==
          "<p><span class=\"mention\" data-member=\"11111111-1111-1111-1111-111111111111\">@BOB</span> "
          "@<strong>Eve</strong></p>");
    CHECK(link_mentions("<p>all: @channel</p>", {}, true) ==
          "<p>all: <span class=\"mention mention-channel\">@channel</span></p>");
    CHECK(link_mentions("<p>all: @channel</p>", {}, false) == "<p>all: @channel</p>");
    // Code and links are left alone.
    CHECK(link_mentions("<p><code>@channel</code> <a href=\"x\">@channel</a></p>", {}, true) ==
          "<p><code>@channel</code> <a href=\"x\">@channel</a></p>");
    CHECK(fold_name("Ann LEE Ølsen") == "ann lee Ølsen");
}
