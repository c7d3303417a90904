// What people may type as names of rooms and as reactions, checked before anything is stored.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace eelchat::conversations {

constexpr std::size_t max_name_chars = 80;
constexpr std::size_t max_topic_chars = 250;

enum class name_problem { none, empty, invalid };

// A community or channel name: trimmed, 1..80 characters on one line, no control or bidirectional
// override characters (core/text.hpp clean_line). Empty input is name_problem::empty, for which the
// create forms use their numbered default name.
struct checked_name {
    std::optional<std::string> name;
    name_problem problem = name_problem::none;
};
checked_name check_name(std::string_view typed);
// A topic: like a name, 0..250 characters (empty clears it); nullopt when not allowed.
std::optional<std::string> check_topic(std::string_view typed);

// One emoji as a reaction: trimmed, at most 64 bytes, made only of emoji code points and the joiners,
// variation selectors, skin tones, keycaps and tags that build emoji sequences, with at least one
// pictograph among them. Nullopt for anything else (letters, markup, several words).
std::optional<std::string> clean_emoji(std::string_view typed);

} // namespace eelchat::conversations
