#include "conversations/names.hpp"

#include "core/text.hpp"

namespace eelchat::conversations {

namespace {

bool blank(std::string_view s) {
    return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Code points that are emoji by themselves (Unicode's emoji blocks and the older symbols that have an
// emoji presentation).
bool is_pictograph(char32_t c) {
    return (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0x2600 && c <= 0x27BF) || (c >= 0x2300 && c <= 0x23FF) ||
           (c >= 0x2B00 && c <= 0x2BFF) || (c >= 0x2190 && c <= 0x21FF) || (c >= 0x25A0 && c <= 0x25FF) ||
           c == 0x00A9 || c == 0x00AE || c == 0x203C || c == 0x2049 || c == 0x2122 || c == 0x2139 ||
           c == 0x2934 || c == 0x2935 || c == 0x3030 || c == 0x303D || c == 0x3297 || c == 0x3299 ||
           c == 0x20E3; // a keycap makes "1" an emoji
}

// What may join pictographs into one emoji: ZWJ, variation selectors, keycap, tags, and the keycap bases.
bool is_emoji_part(char32_t c) {
    return c == 0x200D || c == 0xFE0F || c == 0xFE0E || c == 0x20E3 || (c >= 0xE0020 && c <= 0xE007F) ||
           (c >= '0' && c <= '9') || c == '#' || c == '*';
}

} // namespace

checked_name check_name(std::string_view typed) {
    if (blank(typed)) return {std::nullopt, name_problem::empty};
    auto name = text::clean_line(typed, max_name_chars);
    if (!name) return {std::nullopt, name_problem::invalid};
    return {std::move(name), name_problem::none};
}

std::optional<std::string> check_topic(std::string_view typed) {
    if (blank(typed)) return std::string();
    return text::clean_line(typed, max_topic_chars);
}

std::optional<std::string> clean_emoji(std::string_view typed) {
    auto trimmed = text::clean_line(typed, 16);
    if (!trimmed || trimmed->size() > 64) return std::nullopt;
    bool pictograph = false;
    std::string_view s(*trimmed);
    for (std::size_t pos = 0; pos < s.size();) {
        auto c = text::decode_next(s, pos);
        if (!c) return std::nullopt;
        if (is_pictograph(*c)) {
            pictograph = true;
        } else if (!is_emoji_part(*c)) {
            return std::nullopt;
        }
    }
    if (!pictograph) return std::nullopt;
    return trimmed;
}

} // namespace eelchat::conversations
