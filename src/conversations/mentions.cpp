#include "conversations/mentions.hpp"

#include "render/templates.hpp"

#include <algorithm>
#include <cctype>

namespace eelchat::conversations {

namespace {

constexpr std::size_t max_names = 50;
constexpr std::size_t max_name_length = 50;

bool word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
           static_cast<unsigned char>(c) >= 0x80;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Whether `at` (an '@') starts the word "@channel": not preceded or followed by a word character.
bool channel_word_at(std::string_view s, std::size_t at) {
    constexpr std::string_view word = "@channel";
    if (s.substr(at, word.size()) != word) return false;
    if (at > 0 && (word_char(s[at - 1]) || s[at - 1] == '@')) return false;
    const std::size_t end = at + word.size();
    return end >= s.size() || !word_char(s[end]);
}

// Undoes the markdown renderer's escaping of text (&amp; &lt; &gt; &quot; and numeric references of ASCII).
std::string unescape(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '&') {
            out.push_back(s[i]);
            continue;
        }
        auto semi = s.find(';', i);
        if (semi == std::string_view::npos || semi - i > 6) {
            out.push_back('&');
            continue;
        }
        auto entity = s.substr(i + 1, semi - i - 1);
        if (entity == "amp") out.push_back('&');
        else if (entity == "lt") out.push_back('<');
        else if (entity == "gt") out.push_back('>');
        else if (entity == "quot") out.push_back('"');
        else if (entity == "#39" || entity == "#x27") out.push_back('\'');
        else {
            out.append(s.substr(i, semi - i + 1));
        }
        i = semi;
    }
    return out;
}

} // namespace

std::string fold_name(std::string_view name) {
    std::string out(name);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

mention_request find_mentions(std::string_view text) {
    mention_request out;
    bool fenced = false;
    std::size_t line_start = 0;
    while (line_start <= text.size()) {
        std::size_t line_end = text.find('\n', line_start);
        if (line_end == std::string_view::npos) line_end = text.size();
        std::string_view line = text.substr(line_start, line_end - line_start);
        std::string_view stripped = line;
        while (!stripped.empty() && stripped.front() == ' ') stripped.remove_prefix(1);
        if (stripped.starts_with("```") || stripped.starts_with("~~~")) {
            fenced = !fenced;
        } else if (!fenced) {
            bool in_code = false;
            for (std::size_t i = 0; i < line.size(); ++i) {
                if (line[i] == '`') {
                    in_code = !in_code;
                    continue;
                }
                if (in_code || line[i] != '@') continue;
                if (line.substr(i, 3) == "@**") {
                    auto close = line.find("**", i + 3);
                    if (close == std::string_view::npos) continue;
                    auto name = trim(line.substr(i + 3, close - i - 3));
                    if (!name.empty() && name.size() <= max_name_length && out.names.size() < max_names &&
                        std::find(out.names.begin(), out.names.end(), name) == out.names.end())
                        out.names.emplace_back(name);
                    i = close + 1;
                } else if (channel_word_at(line, i)) {
                    out.channel = true;
                }
            }
        }
        if (line_end == text.size()) break;
        line_start = line_end + 1;
    }
    return out;
}

std::string link_mentions(std::string_view html, const std::vector<std::pair<std::string, std::string>>& resolved,
                          bool channel) {
    constexpr std::string_view open = "@<strong>", close = "</strong>";
    std::string out;
    out.reserve(html.size() + 64);
    int code_depth = 0; // inside <code>, <pre> or <a>: left alone
    std::size_t i = 0;
    while (i < html.size()) {
        const char c = html[i];
        if (c == '<') {
            auto end = html.find('>', i);
            if (end == std::string_view::npos) break;
            std::string_view tag = html.substr(i, end - i + 1);
            auto is = [&](std::string_view name) {
                return tag.substr(1, name.size()) == name &&
                       (tag.size() == name.size() + 2 || tag[name.size() + 1] == ' ' ||
                        tag[name.size() + 1] == '>');
            };
            auto closes = [&](std::string_view name) {
                return tag.size() == name.size() + 3 && tag[1] == '/' && tag.substr(2, name.size()) == name;
            };
            if (is("code") || is("pre") || is("a")) ++code_depth;
            else if ((closes("code") || closes("pre") || closes("a")) && code_depth > 0) --code_depth;
            out.append(tag);
            i = end + 1;
            continue;
        }
        if (c == '@' && code_depth == 0) {
            if (html.substr(i, open.size()) == open) {
                auto end = html.find(close, i + open.size());
                if (end != std::string_view::npos) {
                    std::string_view shown = html.substr(i + open.size(), end - i - open.size());
                    // The name as written, unescaped the way the markdown renderer escaped it.
                    std::string written = fold_name(trim(unescape(shown)));
                    auto hit = std::find_if(resolved.begin(), resolved.end(),
                                            [&](const auto& r) { return r.first == written; });
                    if (hit != resolved.end()) {
                        out += "<span class=\"mention\" data-member=\"";
                        out += render::html_escape(hit->second);
                        out += "\">@";
                        out.append(shown);
                        out += "</span>";
                        i = end + close.size();
                        continue;
                    }
                }
            } else if (channel && channel_word_at(html, i)) {
                out += "<span class=\"mention mention-channel\">@channel</span>";
                i += 8;
                continue;
            }
        }
        out.push_back(c);
        ++i;
    }
    if (i < html.size()) out.append(html.substr(i));
    return out;
}

} // namespace eelchat::conversations
