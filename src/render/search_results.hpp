// Rendering search results: each hit with its channel, author, time and snippet (the matched words
// marked), linking to the channel at that message; and a "More results" link to the next page.
#pragma once

#include "db/search_store.hpp"
#include "render/templates.hpp"

#include <map>
#include <string>
#include <string_view>

namespace eelchat::render {

// A snippet as HTML: every character escaped, the matches (between \x01 and \x02, see db::search_hit)
// in <mark>. A match left open at the end is closed.
std::string snippet_html(std::string_view snippet);

struct search_results_view {
    std::string community_id;
    std::string query;    // as typed, for the "More results" link
    std::string more_url; // "" when there is no next page
    std::string notice;   // a problem with the query, shown instead of results
    bool first_page = true;
};

// The results fragment (templates/search_results.mustache). `channel_titles`: id -> title as the searcher's
// sidebar shows it.
std::string render_search_results(templates& tpl, const search_results_view& view,
                                  const std::vector<db::search_hit>& hits,
                                  const std::map<std::string, std::string>& channel_titles);

} // namespace eelchat::render
