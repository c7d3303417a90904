// Full-text search of a community's messages (db/migrations/0010): the words as PostgreSQL's 'simple'
// configuration reads them, newest first, a page at a time. Which channels may be searched is the
// caller's decision (the ones the searcher may read); deleted messages are never found, edited ones by
// their current text.
#pragma once

#include "db/error.hpp"
#include "db/message_store.hpp"
#include "db/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace eelchat::db {

struct search_request {
    std::string community_id;
    std::vector<std::string> channel_ids; // where to look; none: nothing is found
    // Read by websearch_to_tsquery('simple', ...): "phrases", -excluded words, or. "" for none.
    std::string words;
    // A tsquery for the word being typed, 'word':* (search::prefix_tsquery). nullopt for none.
    std::optional<std::string> prefix;
    std::vector<std::string> author_ids;  // membership ids; none: anyone's
    std::optional<std::string> before_id; // the next page: messages older than this one
    int limit = 20;
    // How many of the community's newest messages are read in time order before the GIN index is asked
    // instead (see search_store.cpp).
    int window = 1000;
};

struct search_hit {
    message_row message;
    std::string channel_id;
    // The matching part of the text, the matched words between \x01 and \x02 (which the text itself
    // never holds: they are taken out first). Not escaped.
    std::string snippet;
};

struct search_page {
    std::vector<search_hit> hits; // newest first
    bool more = false;            // there are older matches (ask again with before_id = the last hit)
};

// With neither words nor prefix, every message of the channels (and authors) matches.
boost::asio::awaitable<result<search_page>> search_messages(pool& db, search_request q);

// For each of `names`, the community's members shown by that name (without case; a member without a
// display name is shown as "User 3f2a"), as membership ids.
boost::asio::awaitable<result<std::vector<std::vector<std::string>>>>
members_named(pool& db, std::string community_id, std::vector<std::string> names);

} // namespace eelchat::db
