#include "feeds/slash_command.hpp"

namespace eelchat::feeds {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::vector<std::string_view> words(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_space(text[i]))
            ++i;
        const std::size_t start = i;
        while (i < text.size() && !is_space(text[i]))
            ++i;
        if (i > start) out.push_back(text.substr(start, i - start));
    }
    return out;
}

} // namespace

slash_command parse_slash_command(std::string_view text) {
    auto w = words(text);
    if (w.empty()) return {};
    slash_command cmd;
    if (w[0] == "/list") {
        cmd.name = "list";
        cmd.what = w.size() == 1 ? slash_command::kind::list : slash_command::kind::usage;
    } else if (w[0] == "/subscribe" || w[0] == "/unsubscribe") {
        cmd.name = std::string(w[0].substr(1));
        if (w.size() != 2) {
            cmd.what = slash_command::kind::usage;
        } else {
            cmd.what =
                w[0] == "/subscribe" ? slash_command::kind::subscribe : slash_command::kind::unsubscribe;
            cmd.argument = std::string(w[1]);
        }
    }
    return cmd;
}

bool admin_only(const slash_command& cmd) {
    return cmd.name == "subscribe" || cmd.name == "unsubscribe";
}

std::string usage_reply(const slash_command& cmd) {
    if (cmd.name == "list") return "Usage: /list";
    return "Usage: /" + cmd.name + " URL";
}

std::string admins_only_reply(const slash_command& cmd) {
    return "Only community admins can use /" + cmd.name + ".";
}

std::string list_reply(const std::vector<std::string>& sorted_urls) {
    if (sorted_urls.empty()) return "Subscriptions: none";
    std::string out = "Subscriptions:";
    for (const auto& u : sorted_urls)
        out += "\n- " + u;
    return out;
}

} // namespace eelchat::feeds
