// What someone typed into the search box, taken apart: the words to look for (read by PostgreSQL's
// websearch_to_tsquery: "quoted phrases", -excluded words, or), the word still being typed (matched as a
// prefix), and the filters from:name and in:channel. Pure: the route parses, the store searches.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eelchat::search {

struct query {
    // The words for websearch_to_tsquery('simple', ...), filters and the prefix word taken out; "" for none.
    std::string words;
    // The last word when it is still being typed (the text does not end in a space): a plain word of
    // letters and digits, searched as a prefix ('word':*). Never holds a quote or a backslash.
    std::optional<std::string> prefix;
    std::vector<std::string> from; // from:name, from:"First Last": a member by their name as shown
    std::vector<std::string> in;   // in:general, in:#general, in:"the lounge": a channel by its title
    bool has_text() const { return !words.empty() || prefix.has_value(); }
};

enum class query_problem {
    none,
    empty,         // nothing to look for
    too_long,      // more than the setting's code points
    invalid_utf8,  // not text
    only_excluded, // only -excluded words: everything else would match
};

struct parsed_query {
    query q;
    query_problem problem = query_problem::none;
};

// Takes `typed` apart. `max_chars`: SEARCH_MAX_QUERY, counted in code points. Filter names are
// case-insensitive ("From:", "IN:"); a filter without a value is ignored.
parsed_query parse_query(std::string_view typed, std::size_t max_chars);

// What to tell the searcher about a problem ("" for none).
std::string_view problem_text(query_problem p);

// The tsquery text for a prefix word: 'word':* (the word holds no quote or backslash, see query::prefix).
std::string prefix_tsquery(std::string_view word);

} // namespace eelchat::search
