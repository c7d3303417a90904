#include "feeds/entries.hpp"

#include "core/text.hpp"
#include "feeds/html_text.hpp"

#include <algorithm>

namespace eelchat::feeds {

namespace {

constexpr std::size_t max_message = 4000;
constexpr std::size_t max_body = 300;
constexpr std::size_t max_title = 300;
constexpr std::size_t max_author = 100;

// Clean text on one line with single spaces.
std::string one_line(std::string_view s) {
    std::string cleaned = clean_text(s);
    std::string out;
    bool space = false;
    for (char c : cleaned) {
        if (c == ' ' || c == '\n') {
            space = true;
            continue;
        }
        if (space && !out.empty()) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

} // namespace

post_plan entries_to_post(const parsed_feed& feed, const std::optional<std::string>& last_seen_id,
                          std::size_t cap) {
    post_plan plan;
    if (feed.entries.empty()) return plan;
    std::vector<const feed_entry*> newest_first;
    for (const auto& e : feed.entries)
        newest_first.push_back(&e);
    const bool all_dated = std::all_of(newest_first.begin(), newest_first.end(),
                                       [](const feed_entry* e) { return e->date.has_value(); });
    if (all_dated)
        std::stable_sort(newest_first.begin(), newest_first.end(),
                         [](const feed_entry* a, const feed_entry* b) { return *a->date > *b->date; });
    plan.last_seen_id = newest_first.front()->id;

    std::size_t fresh; // how many of the newest are new
    if (!last_seen_id) {
        fresh = 1;
    } else {
        const auto seen = std::find_if(newest_first.begin(), newest_first.end(),
                                       [&](const feed_entry* e) { return e->id == *last_seen_id; });
        fresh = static_cast<std::size_t>(seen - newest_first.begin()); // all of them when not found
    }
    fresh = std::min(fresh, cap);
    for (std::size_t i = fresh; i-- > 0;)
        plan.entries.push_back(*newest_first[i]);
    return plan;
}

std::string format_entry(const feed_entry& entry) {
    const std::string title = truncate_text(one_line(entry.title), max_title);
    const std::string author = truncate_text(one_line(entry.author), max_author);
    const std::string date = entry.date ? format_date(*entry.date) : std::string();
    const std::string body =
        truncate_text(html_to_text(entry.content.empty() ? entry.summary : entry.content), max_body);
    std::string message = title + " | " + author + " | " + date + "\n" + body + "\n";
    const std::size_t used = text::utf8_length(message);
    const std::string link = one_line(entry.link);
    if (used + text::utf8_length(link) <= max_message) {
        message += link;
    } else if (used + 3 < max_message) {
        message += truncate_text(link, max_message - used - 3);
    }
    return message;
}

} // namespace eelchat::feeds
