// @mentions in a message's text. The composer inserts a mention of a person as @**Their Name** (the form
// Zulip uses: markdown's bold, so it reads well even where mentions are not understood) and @channel names
// everyone who reads the channel. When the message is posted the names are resolved, among the people who
// may read the channel, to membership ids, which the message keeps: a mention refers to the person, not to
// their name, so a rename keeps it right and only the people who can read the message are ever mentioned.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eelchat::conversations {

struct mention_request {
    std::vector<std::string> names; // the @**...** names, trimmed, each once (first 50)
    bool channel = false;           // @channel outside code
};

// What the text asks to mention. Code spans and fenced blocks are skipped.
mention_request find_mentions(std::string_view text);

// The rendered markdown of the text with each resolved mention made a mention: @<strong>Name</strong>
// becomes <span class="mention" data-member="ID">@Name</span>, and a plain @channel (outside code, pre
// and links) <span class="mention mention-channel">@channel</span> when `channel`. `resolved`: (name as
// written, lower-cased; membership id) pairs. Names not resolved stay as they were.
std::string link_mentions(std::string_view html, const std::vector<std::pair<std::string, std::string>>& resolved,
                          bool channel);

// Lower-case ASCII letters (names match case-insensitively in ASCII; other letters must match exactly).
std::string fold_name(std::string_view name);

} // namespace eelchat::conversations
