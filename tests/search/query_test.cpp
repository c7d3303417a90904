// Taking a search apart (search/query.hpp) and choosing its channels (search/scope.hpp).
#include "search/query.hpp"
#include "search/scope.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;
using search::parse_query;
using search::query_problem;

TEST_CASE("search query: words for websearch, the last word being typed as a prefix", "[unit][search]") {
    auto p = parse_query("eel migra", 200);
    CHECK(p.problem == query_problem::none);
    CHECK(p.q.words == "eel");
    REQUIRE(p.q.prefix);
    CHECK(*p.q.prefix == "migra");
    CHECK(search::prefix_tsquery(*p.q.prefix) == "'migra':*");

    // A space after the last word: it is finished, no prefix.
    p = parse_query("eel migration ", 200);
    CHECK(p.q.words == "eel migration");
    CHECK_FALSE(p.q.prefix);

    // Words of any script are prefixes as typed.
    p = parse_query("Ålesund 鰻", 200);
    CHECK(p.q.words == "Ålesund");
    REQUIRE(p.q.prefix);
    CHECK(*p.q.prefix == "鰻");
}

TEST_CASE("search query: quotes, -excluded words and or stay for websearch_to_tsquery", "[unit][search]") {
    auto p = parse_query("\"river eel\" -sea", 200);
    CHECK(p.problem == query_problem::none);
    CHECK(p.q.words == "\"river eel\" -sea");
    CHECK_FALSE(p.q.prefix);

    p = parse_query("eel or", 200);
    CHECK(p.q.words == "eel or");
    CHECK_FALSE(p.q.prefix);

    // An open quote is still being typed: no prefix taken out of it.
    p = parse_query("\"river ee", 200);
    CHECK(p.q.words == "\"river ee");
    CHECK_FALSE(p.q.prefix);

    // Punctuation never reaches a tsquery as syntax: such a word is left to websearch.
    for (const char* typed : {"it's", "a:b", "back\\slash", "x&y", "(eel)", "eel*"}) {
        INFO(typed);
        p = parse_query(typed, 200);
        CHECK_FALSE(p.q.prefix);
        CHECK(p.q.words == typed);
    }
}

TEST_CASE("search query: from: and in: filters, quoted, without case, with @ and #", "[unit][search]") {
    auto p = parse_query("from:alice in:#general eel", 200);
    CHECK(p.problem == query_problem::none);
    CHECK(p.q.from == std::vector<std::string>{"alice"});
    CHECK(p.q.in == std::vector<std::string>{"general"});
    CHECK(p.q.words.empty());
    CHECK(p.q.prefix == std::optional<std::string>("eel"));

    p = parse_query("FROM:\"Bob  Stone\" In:\"the lounge\" eels ", 200);
    CHECK(p.q.from == std::vector<std::string>{"Bob Stone"});
    CHECK(p.q.in == std::vector<std::string>{"the lounge"});
    CHECK(p.q.words == "eels");

    p = parse_query("from:@alice", 200);
    CHECK(p.problem == query_problem::none);
    CHECK(p.q.from == std::vector<std::string>{"alice"});
    CHECK_FALSE(p.q.has_text());

    // A filter being typed: the name so far; an empty one is ignored.
    p = parse_query("eel from:", 200);
    CHECK(p.q.from.empty());
    CHECK(p.q.words == "eel");
    CHECK_FALSE(p.q.prefix); // the last token was the filter
}

TEST_CASE("search query: empty, too long, not text, only excluded words", "[unit][search]") {
    CHECK(parse_query("", 200).problem == query_problem::empty);
    CHECK(parse_query("   ", 200).problem == query_problem::empty);
    CHECK(parse_query("from: in:", 200).problem == query_problem::empty);
    CHECK(parse_query(std::string(200, 'e'), 200).problem == query_problem::none);
    CHECK(parse_query(std::string(201, 'e'), 200).problem == query_problem::too_long);
    // Code points, not bytes: 200 eels are 800 bytes.
    std::string eels;
    for (int i = 0; i < 200; ++i)
        eels += "鰻";
    CHECK(parse_query(eels, 200).problem == query_problem::none);
    CHECK(parse_query("\xff\xfe", 200).problem == query_problem::invalid_utf8);
    CHECK(parse_query(std::string("a\0b", 3), 200).problem == query_problem::invalid_utf8);
    CHECK(parse_query("-sea -salt", 200).problem == query_problem::only_excluded);
    CHECK(parse_query("-sea eel", 200).problem == query_problem::none);
    for (auto p : {query_problem::empty, query_problem::too_long, query_problem::invalid_utf8,
                   query_problem::only_excluded})
        CHECK_FALSE(search::problem_text(p).empty());
}

TEST_CASE("search scope: the readable channels, narrowed by in: titles without case", "[unit][search]") {
    std::vector<db::channel_row> readable(3);
    readable[0].id = "c1";
    readable[0].title = "general";
    readable[1].id = "c2";
    readable[1].title = "Secret plans";
    readable[1].kind = "private";
    readable[2].id = "c3";
    readable[2].title = "Bob Stone";
    readable[2].kind = "direct";

    auto all = search::channels_to_search(readable, {});
    CHECK(all.channel_ids == std::vector<std::string>{"c1", "c2", "c3"});
    CHECK_FALSE(all.unknown_channel);

    auto some = search::channels_to_search(readable, {"secret PLANS", "bob stone", "general", "General"});
    CHECK(some.channel_ids == std::vector<std::string>{"c2", "c3", "c1"});

    // A channel the searcher cannot read is not in `readable`: it is unknown, never searched.
    auto none = search::channels_to_search(readable, {"general", "hidden"});
    REQUIRE(none.unknown_channel);
    CHECK(*none.unknown_channel == "hidden");
}
