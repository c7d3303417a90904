#include "search/query.hpp"

#include "core/text.hpp"

namespace eelchat::search {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Letters and digits of any script: ASCII ones, and every byte of a UTF-8 sequence beyond ASCII (the
// 'simple' parser decides what is a word there). Nothing a tsquery would read as syntax.
bool is_word_byte(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z');
}

bool plain_word(std::string_view w) {
    if (w.empty()) return false;
    for (char c : w)
        if (!is_word_byte(c)) return false;
    return true;
}

bool is_or(std::string_view w) {
    return w.size() == 2 && text::to_lower_ascii(w[0]) == 'o' && text::to_lower_ascii(w[1]) == 'r';
}

// Whether `s` starts with `name` (ASCII, without case).
bool starts_with_nocase(std::string_view s, std::string_view name) {
    if (s.size() < name.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i)
        if (text::to_lower_ascii(s[i]) != name[i]) return false;
    return true;
}

// Reads a filter's value at s[pos]: "a quoted one" (to the closing quote or the end) or a run of
// non-space bytes. Advances pos past it.
std::string filter_value(std::string_view s, std::size_t& pos) {
    std::string out;
    if (pos < s.size() && s[pos] == '"') {
        const auto close = s.find('"', pos + 1);
        const auto end = close == std::string_view::npos ? s.size() : close;
        out = std::string(s.substr(pos + 1, end - pos - 1));
        pos = close == std::string_view::npos ? s.size() : close + 1;
    } else {
        const auto start = pos;
        while (pos < s.size() && !is_space(s[pos]))
            ++pos;
        out = std::string(s.substr(start, pos - start));
    }
    // Inner runs of whitespace as one space, none at the ends: names are stored that way.
    std::string clean;
    for (char c : out) {
        if (is_space(c)) {
            if (!clean.empty() && clean.back() != ' ') clean += ' ';
        } else {
            clean += c;
        }
    }
    while (!clean.empty() && clean.back() == ' ')
        clean.pop_back();
    return clean;
}

} // namespace

parsed_query parse_query(std::string_view typed, std::size_t max_chars) {
    parsed_query out;
    if (!text::valid_utf8(typed) || typed.find('\0') != std::string_view::npos) {
        out.problem = query_problem::invalid_utf8;
        return out;
    }
    if (text::utf8_length(typed) > max_chars) {
        out.problem = query_problem::too_long;
        return out;
    }
    std::vector<std::string> words;
    bool last_is_word = false; // the last token is a word to look for (not a filter)
    std::size_t pos = 0;
    while (pos < typed.size()) {
        if (is_space(typed[pos])) {
            ++pos;
            continue;
        }
        const std::string_view rest = typed.substr(pos);
        if (starts_with_nocase(rest, "from:") || starts_with_nocase(rest, "in:")) {
            const bool from = text::to_lower_ascii(rest[0]) == 'f';
            pos += from ? 5 : 3;
            auto value = filter_value(typed, pos);
            if (!value.empty() && value.front() == (from ? '@' : '#')) value.erase(0, 1);
            if (!value.empty()) (from ? out.q.from : out.q.in).push_back(std::move(value));
            last_is_word = false;
            continue;
        }
        // A word, or a "quoted phrase" with its spaces (to its closing quote, or the end).
        const auto start = pos;
        bool quoted = false;
        while (pos < typed.size() && (quoted || !is_space(typed[pos]))) {
            if (typed[pos] == '"') quoted = !quoted;
            ++pos;
        }
        words.emplace_back(typed.substr(start, pos - start));
        last_is_word = true;
    }
    // The word being typed: the last one, when nothing (not even a space) follows it.
    if (last_is_word && !typed.empty() && !is_space(typed.back()) && plain_word(words.back()) &&
        !is_or(words.back())) {
        out.q.prefix = std::move(words.back());
        words.pop_back();
    }
    std::size_t positive = out.q.prefix ? 1 : 0;
    for (const auto& w : words) {
        if (!out.q.words.empty()) out.q.words += ' ';
        out.q.words += w;
        if (w.front() != '-' && !is_or(w)) ++positive;
    }
    if (!out.q.has_text() && out.q.from.empty() && out.q.in.empty())
        out.problem = query_problem::empty;
    else if (out.q.has_text() && positive == 0)
        out.problem = query_problem::only_excluded;
    return out;
}

std::string_view problem_text(query_problem p) {
    switch (p) {
    case query_problem::none:
        return "";
    case query_problem::empty:
        return "Type a word to search for.";
    case query_problem::too_long:
        return "That search is too long. Use fewer words.";
    case query_problem::invalid_utf8:
        return "That search holds characters that are not text.";
    case query_problem::only_excluded:
        return "Add a word to look for: a search of only -excluded words would find everything else.";
    }
    return "";
}

std::string prefix_tsquery(std::string_view word) {
    std::string out = "'";
    out.append(word);
    out += "':*";
    return out;
}

} // namespace eelchat::search
