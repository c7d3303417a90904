// RSS 2.0, RSS 1.0 (RDF) and Atom documents into feed entries, with pugixml. Elements are matched by
// local name, so any namespace prefix works for Atom, Dublin Core and content:encoded. pugixml expands
// no DTD entities and fetches nothing, so a hostile document can only fail to parse.
#pragma once

#include "feeds/entries.hpp"

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace eelchat::feeds {

struct feed_error {
    // "malformed XML (...)", "not an RSS or Atom feed" or "not an RSS or Atom feed (an HTML page)".
    std::string message;
};

[[noreturn]] void throw_exception_from_error(const feed_error& e, const boost::source_location& loc);

// Entry fields (see feed_entry): RSS item guid, link (the guid when it is a permalink and there is no
// link), title, dc:creator or author, pubDate or dc:date, content:encoded, description; Atom entry id,
// link (rel="alternate" or no rel, else the first), title, author/name (else the feed's author), published
// or updated, content, summary. Titles become plain text; content and summary stay HTML (Atom
// type="text" is escaped, type="xhtml" serialised). Entries without id, link and title are skipped. Every
// field is valid UTF-8 without control characters (bytes the document's real encoding would have
// meant otherwise become U+FFFD). UTF-16 and ISO-8859-1 documents are converted, by BOM or declaration.
boost::system::result<parsed_feed, feed_error> parse_feed(std::string_view xml);

// RFC 822 / RFC 1123 dates as RSS uses them ("Sat, 25 May 2024 15:49:51 GMT", "+0200", "EST", 2-digit
// years, no day name, no seconds), falling back to RFC 3339; nullopt when neither parses, or for a date
// outside what system_clock holds (before 1678 or after 2261).
std::optional<std::chrono::system_clock::time_point> parse_rfc822_date(std::string_view s);

// RFC 3339 dates as Atom uses them ("2024-05-25T15:49:51Z", fractions, "+02:00"; a date alone is
// midnight UTC), falling back to RFC 822; nullopt when neither parses or the date is out of range.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339_date(std::string_view s);

} // namespace eelchat::feeds
