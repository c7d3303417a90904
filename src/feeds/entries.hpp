// Feed entries and what to do with them: which entries of a fetched feed to post, and the message text
// for one. The XML side is in feeds/parser.hpp, the text helpers in feeds/html_text.hpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace eelchat::feeds {

struct feed_entry {
    std::string id;     // RSS guid / Atom id, else the link (else the title): what last_seen_id stores
    std::string link;   // the entry's web page
    std::string title;  // plain text
    std::string author; // plain text, may be empty
    std::optional<std::chrono::system_clock::time_point> date; // published, else updated
    std::string content;                                       // HTML: content:encoded / Atom content
    std::string summary;                                       // HTML: RSS description / Atom summary
};

struct parsed_feed {
    std::string title;               // plain text, may be empty
    std::vector<feed_entry> entries; // in document order
};

struct post_plan {
    std::vector<feed_entry> entries;         // to post, oldest first
    std::optional<std::string> last_seen_id; // the newest entry's id; nullopt when the feed is empty
};

// Entries are ordered newest first by date when every entry has one (ties keep document order), else in
// document order (feeds list the newest first). Then:
// - no last_seen_id (first fetch): only the newest entry;
// - last_seen_id found: every entry newer than it, at most `cap` (the newest ones);
// - last_seen_id gone from the feed: the newest `cap` entries.
// An empty feed posts nothing and keeps the caller's last_seen_id (returned as nullopt).
post_plan entries_to_post(const parsed_feed& feed, const std::optional<std::string>& last_seen_id,
                          std::size_t cap);

// The message for an entry, as the original app wrote it: "<title> | <author> | <date>\n<body>\n<link>".
// The body is the content (the summary when there is none) as plain text, cut to 300 code points plus
// "..." when longer; the date as format_date, empty when unknown. Titles longer than 300 and authors
// longer than 100 code points are cut the same way, and the link is cut so that the whole message stays
// within 4000 code points. Valid UTF-8 without control characters (line breaks only inside the body).
std::string format_entry(const feed_entry& entry);

} // namespace eelchat::feeds
