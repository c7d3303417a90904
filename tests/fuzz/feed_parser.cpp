// Fuzz target: feeds/parser.hpp, RSS and Atom documents from any server on the internet, and the
// messages feeds/entries.hpp makes of their entries.
//
// Input: a document. When it parses, every field must be valid UTF-8 without control characters (as the
// header promises; PostgreSQL and the chat need it), every entry must have an id, and the message posted
// for an entry must be a valid chat message (valid UTF-8, at most 4,000 code points). When it does not,
// the error must say why in one of the documented ways. The input is also read as an RFC 822 and an RFC
// 3339 date.
#include "check.hpp"

#include "core/text.hpp"
#include "feeds/entries.hpp"
#include "feeds/html_text.hpp"
#include "feeds/parser.hpp"

#include <chrono>

namespace {

using namespace eelchat;

void check_feed(const feeds::parsed_feed& feed) {
    FUZZ_CHECK(fuzz::clean(feed.title));
    for (const auto& e : feed.entries) {
        FUZZ_CHECK(!e.id.empty());
        for (const std::string* field : {&e.id, &e.link, &e.title, &e.author, &e.content, &e.summary})
            FUZZ_CHECK(fuzz::clean(*field));
        const std::string message = feeds::format_entry(e);
        FUZZ_CHECK(fuzz::clean(message));
        FUZZ_CHECK(text::check_message_text(message) == text::message_problem::none);
    }
    const auto plan = feeds::entries_to_post(feed, std::nullopt, 10);
    FUZZ_CHECK(plan.entries.size() == (feed.entries.empty() ? 0 : 1));
    FUZZ_CHECK(plan.last_seen_id.has_value() == !feed.entries.empty());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = fuzz::as_text(data, size);
    const auto feed = feeds::parse_feed(input);
    if (feed) {
        check_feed(*feed);
    } else {
        const std::string& why = feed.error().message;
        FUZZ_CHECK(why.starts_with("malformed XML (") || why == "not an RSS or Atom feed" ||
                   why == "not an RSS or Atom feed (an HTML page)");
    }

    // A date that parses formats as the chat shows it.
    for (const auto date : {feeds::parse_rfc822_date(input), feeds::parse_rfc3339_date(input)})
        if (date) FUZZ_CHECK(fuzz::clean(feeds::format_date(*date)));
    return 0;
}
