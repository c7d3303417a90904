// Fuzz target: feeds/slash_command.hpp, what a chat message says as a command, and the reply texts.
//
// Input: a chat message as typed. What it parses to must be consistent with itself (a kind with its
// name, an argument only where one belongs, taken from the message), must not change when whitespace is
// added around the message, and the replies must name the command. The lines of the input also go
// through list_reply as URLs.
#include "check.hpp"

#include "feeds/slash_command.hpp"

#include <string>
#include <vector>

namespace {

using eelchat::feeds::slash_command;
using kind = slash_command::kind;

bool space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool same(const slash_command& a, const slash_command& b) {
    return a.what == b.what && a.name == b.name && a.argument == b.argument;
}

void check_command(std::string_view text, const slash_command& cmd) {
    switch (cmd.what) {
    case kind::none:
        FUZZ_CHECK(cmd.name.empty() && cmd.argument.empty());
        return;
    case kind::list:
        FUZZ_CHECK(cmd.name == "list" && cmd.argument.empty());
        break;
    case kind::subscribe:
    case kind::unsubscribe:
        FUZZ_CHECK(cmd.name == (cmd.what == kind::subscribe ? "subscribe" : "unsubscribe"));
        FUZZ_CHECK(!cmd.argument.empty());
        for (char c : cmd.argument)
            FUZZ_CHECK(!space(c));
        FUZZ_CHECK(text.find(cmd.argument) != std::string_view::npos);
        break;
    case kind::usage:
        FUZZ_CHECK(cmd.name == "list" || cmd.name == "subscribe" || cmd.name == "unsubscribe");
        FUZZ_CHECK(cmd.argument.empty());
        FUZZ_CHECK(eelchat::feeds::usage_reply(cmd).starts_with("Usage: /" + cmd.name));
        break;
    }
    // A command is the message's first word.
    std::size_t start = 0;
    while (start < text.size() && space(text[start]))
        ++start;
    FUZZ_CHECK(text.substr(start).starts_with("/" + cmd.name));
    const std::size_t end = start + 1 + cmd.name.size();
    FUZZ_CHECK(end == text.size() || space(text[end]));
    FUZZ_CHECK(eelchat::feeds::admin_only(cmd) == (cmd.name != "list"));
    FUZZ_CHECK(eelchat::feeds::admins_only_reply(cmd).find("/" + cmd.name + ".") != std::string::npos);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    const auto cmd = eelchat::feeds::parse_slash_command(text);
    check_command(text, cmd);
    FUZZ_CHECK(same(cmd, eelchat::feeds::parse_slash_command(" \t" + std::string(text) + "\r\n")));

    std::vector<std::string> urls;
    for (std::string_view in = text; !in.empty();)
        urls.emplace_back(fuzz::next_line(in));
    const std::string reply = eelchat::feeds::list_reply(urls);
    if (urls.empty())
        FUZZ_CHECK(reply == "Subscriptions: none");
    else
        FUZZ_CHECK(reply.starts_with("Subscriptions:\n- "));
    std::size_t at = 0;
    for (const auto& u : urls) {
        at = reply.find("\n- " + u, at);
        FUZZ_CHECK(at != std::string::npos); // every URL, in order
        at += 3 + u.size();
    }
    return 0;
}
