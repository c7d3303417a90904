// Feed parsing, HTML to text, the posted message's format and which entries a poll posts.
#include "core/text.hpp"
#include "feeds/entries.hpp"
#include "feeds/html_text.hpp"
#include "feeds/parser.hpp"

#include "support/feed_server.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace eelchat;
using namespace std::chrono;

namespace {

system_clock::time_point utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

feeds::parsed_feed parse_fixture(std::string_view name) {
    auto r = feeds::parse_feed(test::feed_server::fixture(name));
    if (!r) FAIL(name << ": " << r.error().message);
    return std::move(*r);
}

std::string repeat(std::string_view s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i)
        out += s;
    return out;
}

} // namespace

// --- parsing ----------------------------------------------------------------------------------------

TEST_CASE(
    "an RSS 2.0 feed gives its items with guid and link and author and date and content and description",
    "[unit][feed]") {
    const auto feed = parse_fixture("rss2.xml");
    CHECK(feed.title == "Eel Keeping Weekly");
    REQUIRE(feed.entries.size() == 3);

    const auto& first = feed.entries[0];
    CHECK(first.id == "eels-2024-05-25-tank-sizes");
    CHECK(first.link == "https://eels.example.org/posts/tank-sizes");
    CHECK(first.title == "Tank sizes & you");
    CHECK(first.author == "Marta Anguila"); // dc:creator
    REQUIRE(first.date);
    CHECK(*first.date == utc(2024, 5, 25, 15, 49, 51));
    CHECK_THAT(first.content, Catch::Contains("<b>room</b>"));
    CHECK(first.summary == "A short summary that should not be used when there is content.");

    const auto& second = feed.entries[1];
    CHECK(second.id == "https://eels.example.org/posts/feeding");
    CHECK(second.author == "editor@eels.example.org (Sam Eelson)"); // RSS author
    REQUIRE(second.date);
    CHECK(*second.date == utc(2024, 5, 24, 7, 0, 0)); // +0200
    CHECK(second.content.empty());
    CHECK(second.summary == "<p>Twice a week is <i>plenty</i> for adults.</p>");

    CHECK(feed.entries[2].title == "Welcome to the newsletter");
    CHECK(feed.entries[2].author.empty());
}

TEST_CASE("an Atom feed gives its entries with the alternate link and the feed's author as fallback",
          "[unit][feed]") {
    const auto feed = parse_fixture("atom.xml");
    CHECK(feed.title == "Moray Engineering");
    REQUIRE(feed.entries.size() == 3);

    const auto& first = feed.entries[0];
    CHECK(first.id == "tag:moray.example.com,2024:posts/3");
    CHECK(first.link == "https://moray.example.com/posts/release-2"); // rel="alternate", not rel="edit"
    CHECK(first.title == "Release 2.0 is out");                       // type="html"
    CHECK(first.author == "Ada Muräne");
    REQUIRE(first.date);
    CHECK(*first.date == utc(2024, 6, 2, 10, 0, 0)); // published, not updated
    CHECK(feeds::html_to_text(first.content) == "Two point oh\nFaster & smaller.");

    const auto& second = feed.entries[1];
    CHECK(second.link == "https://moray.example.com/posts/benchmarks"); // no rel
    CHECK(second.author == "Moray Team");
    REQUIRE(second.date);
    CHECK(*second.date == utc(2024, 5, 30, 8, 15, 30));                      // updated, fraction dropped
    CHECK(feeds::html_to_text(second.content) == "We measured everything."); // type="xhtml"

    const auto& third = feed.entries[2];
    CHECK(third.title == "1 < 2: a primer"); // type="text" is not markup
    CHECK(feeds::html_to_text(third.summary) == "Comparisons like a<b explained.");
}

TEST_CASE("an RSS 1.0 (RDF) feed gives its items", "[unit][feed]") {
    const auto feed = parse_fixture("rdf.xml");
    CHECK(feed.title == "Conger Notes");
    REQUIRE(feed.entries.size() == 2);
    CHECK(feed.entries[0].id == "https://conger.example.net/2");
    CHECK(feed.entries[0].author == "Conger");
    REQUIRE(feed.entries[0].date);
    CHECK(*feed.entries[0].date == utc(2024, 3, 2, 10, 0, 0));
    CHECK(feed.entries[1].title == "First note");
}

TEST_CASE("malformed XML and HTML pages and other XML are refused with a clear message", "[unit][feed]") {
    auto malformed = feeds::parse_feed(test::feed_server::fixture("malformed.xml"));
    REQUIRE_FALSE(malformed.has_value());
    CHECK_THAT(malformed.error().message, Catch::StartsWith("malformed XML"));

    auto html = feeds::parse_feed(test::feed_server::fixture("not-a-feed.html"));
    REQUIRE_FALSE(html.has_value());
    CHECK(html.error().message == "not an RSS or Atom feed (an HTML page)");

    auto other = feeds::parse_feed("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    REQUIRE_FALSE(other.has_value());
    CHECK(other.error().message == "not an RSS or Atom feed");

    auto empty = feeds::parse_feed("");
    REQUIRE_FALSE(empty.has_value());
    CHECK_THROWS_WITH(empty.value(), Catch::StartsWith("malformed XML"));

    auto xhtml = feeds::parse_feed("<html><body><p>hi</p></body></html>");
    REQUIRE_FALSE(xhtml.has_value());
    CHECK(xhtml.error().message == "not an RSS or Atom feed (an HTML page)");
}

TEST_CASE("entry ids fall back to the link then the title and entries with none are skipped",
          "[unit][feed]") {
    auto r = feeds::parse_feed(R"(<rss version="2.0"><channel><title>t</title>
        <item><title>no guid</title><link>https://x.example/1</link></item>
        <item><title>only a title</title></item>
        <item><description>nothing to identify</description></item>
        <item><guid>https://x.example/permalink</guid></item>
        <item><guid isPermaLink="false">https://x.example/not-a-link</guid></item>
        </channel></rss>)");
    REQUIRE(r.has_value());
    REQUIRE(r->entries.size() == 4);
    CHECK(r->entries[0].id == "https://x.example/1");
    CHECK(r->entries[1].id == "only a title");
    CHECK(r->entries[2].link == "https://x.example/permalink");
    CHECK(r->entries[3].link.empty());
}

TEST_CASE("an empty feed parses with no entries", "[unit][feed]") {
    auto r = feeds::parse_feed("<rss version=\"2.0\"><channel><title>quiet</title></channel></rss>");
    REQUIRE(r.has_value());
    CHECK(r->entries.empty());
    auto plan = feeds::entries_to_post(*r, std::string("old"), 5);
    CHECK(plan.entries.empty());
    CHECK_FALSE(plan.last_seen_id);
}

TEST_CASE("RSS and Atom dates in their many spellings", "[unit][feed]") {
    const auto t = utc(2024, 5, 25, 15, 49, 51);
    CHECK(feeds::parse_rfc822_date("Sat, 25 May 2024 15:49:51 GMT") == t);
    CHECK(feeds::parse_rfc822_date("25 May 2024 15:49:51 +0000") == t);
    CHECK(feeds::parse_rfc822_date("Sat, 25 May 2024 17:49:51 +0200") == t);
    CHECK(feeds::parse_rfc822_date("Sat, 25 May 2024 11:49:51 EDT") == t);
    CHECK(feeds::parse_rfc822_date("Saturday, 25 May 24 15:49:51 UT") == t);
    CHECK(feeds::parse_rfc822_date("Sat, 25 May 2024 15:49 GMT") == utc(2024, 5, 25, 15, 49, 0));
    CHECK(feeds::parse_rfc822_date("Sat, 5 May 2024 9:00:00 GMT") == utc(2024, 5, 5, 9, 0, 0));
    CHECK(feeds::parse_rfc822_date("2024-05-25T15:49:51Z") == t); // an ISO date in pubDate
    CHECK(feeds::parse_rfc3339_date("2024-05-25T15:49:51Z") == t);
    CHECK(feeds::parse_rfc3339_date("2024-05-25T17:49:51.123+02:00") == t);
    CHECK(feeds::parse_rfc3339_date("2024-05-25t10:19:51-05:30") == t);
    CHECK(feeds::parse_rfc3339_date("2024-05-25") == utc(2024, 5, 25, 0, 0, 0));
    CHECK(feeds::parse_rfc3339_date("Sat, 25 May 2024 15:49:51 GMT") == t);
    CHECK_FALSE(feeds::parse_rfc822_date("yesterday"));
    CHECK_FALSE(feeds::parse_rfc822_date("Sat, 31 Feb 2024 15:49:51 GMT"));
    CHECK_FALSE(feeds::parse_rfc822_date("Sat, 25 Foo 2024 15:49:51 GMT"));
    CHECK_FALSE(feeds::parse_rfc3339_date("2024-13-01T00:00:00Z"));
    CHECK_FALSE(feeds::parse_rfc3339_date("2024-05-25T25:00:00Z"));
    CHECK_FALSE(feeds::parse_rfc3339_date(""));
}

// Both were signed overflows under UBSan (tests/fuzz/feed_parser); the inputs are in its corpus.
TEST_CASE("dates system_clock cannot hold, and years of many digits, are no dates", "[unit][feed]") {
    CHECK_FALSE(feeds::parse_rfc3339_date("9999-12-31T23:59:59Z")); // overflowed the nanosecond count
    CHECK_FALSE(feeds::parse_rfc822_date("Fri, 31 Dec 9999 23:59:59 GMT"));
    CHECK_FALSE(feeds::parse_rfc822_date("1 Jan 1600 00:00:00 UT"));
    CHECK(feeds::parse_rfc3339_date("2261-12-31T23:59:59Z") == utc(2261, 12, 31, 23, 59, 59));
    CHECK(feeds::parse_rfc3339_date("1678-01-01") == utc(1678, 1, 1, 0, 0, 0));
    CHECK_FALSE(feeds::parse_rfc822_date("Sat, 25 May 20240000000000 15:49:51 GMT")); // overflowed an int

    auto r = feeds::parse_feed("<rss><channel><item><guid>a</guid><pubDate>Fri, 31 Dec 9999 23:59:59 GMT"
                               "</pubDate></item></channel></rss>");
    REQUIRE(r.has_value());
    REQUIRE(r->entries.size() == 1);
    CHECK_FALSE(r->entries[0].date); // undated, like a date that does not parse
}

// --- HTML to text -----------------------------------------------------------------------------------

TEST_CASE("HTML becomes text: tags stripped and blocks on their own lines and scripts dropped",
          "[unit][feed]") {
    CHECK(feeds::html_to_text("<p>Hello <b>bold</b> world</p><p>Second</p>") == "Hello bold world\nSecond");
    CHECK(feeds::html_to_text("one<br>two<br/>three<BR />four") == "one\ntwo\nthree\nfour");
    CHECK(feeds::html_to_text("<ul><li>a</li><li>b</li></ul><h2>Title</h2>text") == "a\nb\nTitle\ntext");
    CHECK(feeds::html_to_text("before<script type=\"text/javascript\">alert('<p>x</p>')</script>after") ==
          "beforeafter");
    CHECK(feeds::html_to_text("a<STYLE>p { color: red }</STYLE>b") == "ab");
    CHECK(feeds::html_to_text("x<script>never closed") == "x");
    CHECK(feeds::html_to_text("<!-- hidden <p>comment</p> -->shown") == "shown");
    CHECK(feeds::html_to_text("<a href=\"/x\" title=\"a > b\">link</a> text") == "link text");
    CHECK(feeds::html_to_text("<table><tr><td>1</td><td>2</td></tr></table>") == "1 2");
    CHECK(feeds::html_to_text("1 < 2 and 3 > 2, <3") == "1 < 2 and 3 > 2, <3");
    CHECK(feeds::html_to_text("  lots   of \n\n  space\t here  ") == "lots of\nspace here");
    CHECK(feeds::html_to_text("<p>  </p><p></p>") == "");
    CHECK(feeds::html_to_text("<?xml version=\"1.0\"?><!DOCTYPE html>body") == "body");
}

TEST_CASE("HTML character references are decoded", "[unit][feed]") {
    CHECK(feeds::html_to_text(
              "&amp; &lt; &gt; &quot; &apos; &#39; &#x1F600; &eacute;&nbsp;x &copy; &hellip;") ==
          "& < > \" ' ' \xf0\x9f\x98\x80 \xc3\xa9 x \xc2\xa9 \xe2\x80\xa6");
    CHECK(feeds::html_to_text("&mdash;&ndash;&rsquo;&ldquo;&rdquo;&euro;&szlig;&Uuml;&yuml;") ==
          "\xe2\x80\x94\xe2\x80\x93\xe2\x80\x99\xe2\x80\x9c\xe2\x80\x9d\xe2\x82\xac\xc3\x9f\xc3\x9c\xc3\xbf");
    CHECK(feeds::html_to_text("AT&T &bogus; &amp &#; &#x;") == "AT&T &bogus; &amp &#; &#x;");
    CHECK(feeds::html_to_text("&#65&#x42;C") == "ABC");
    CHECK(feeds::html_to_text("&#0; &#xD800; &#x110000; &#99999999999;") ==
          "\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd");
}

TEST_CASE("text from feeds is valid UTF-8 without control characters", "[unit][feed]") {
    CHECK(feeds::html_to_text("a\x01"
                              "b\x7f c&#1;d&#x9b;e") == "ab cde");
    CHECK(feeds::html_to_text("caf\xc3") == "caf\xef\xbf\xbd");
    CHECK(feeds::html_to_text("\xff\xfeok") == "\xef\xbf\xbd\xef\xbf\xbdok");
    CHECK(feeds::html_to_text("\xc0\xaf") == "\xef\xbf\xbd\xef\xbf\xbd"); // overlong '/'
    CHECK(feeds::html_to_text("a\xe2\x80\xae"
                              "b&#x2066;c") == "abc"); // bidi override and isolate
    CHECK(feeds::clean_text("line\r\nnext\tcol") == "line \nnext col");
}

TEST_CASE("truncation counts code points and never splits a character", "[unit][feed]") {
    CHECK(feeds::truncate_text("abc", 3) == "abc");
    CHECK(feeds::truncate_text("abcd", 3) == "abc...");
    CHECK(feeds::truncate_text("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3) == "\xc3\xa9\xc3\xa9\xc3\xa9...");
    CHECK(feeds::truncate_text("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 1) == "\xf0\x9f\x98\x80...");
    CHECK(text::utf8_length("\xf0\x9f\x98\x80\xc3\xa9x") == 3);
}

// --- the posted message -----------------------------------------------------------------------------

TEST_CASE("a formatted entry reads title | author | date then the body then the link", "[unit][feed]") {
    const auto feed = parse_fixture("rss2.xml");
    CHECK(feeds::format_entry(feed.entries[0]) ==
          "Tank sizes & you | Marta Anguila | Sat May 25 15:49:51 UTC 2024\n"
          "An eel needs room to move \xe2\x80\x94 more than you think.\nHere is why:\nThey grow.\n"
          "They \"escape\".\n"
          "https://eels.example.org/posts/tank-sizes");
    // No content: the description stands in (the original left the body empty).
    CHECK(feeds::format_entry(feed.entries[1]) ==
          "Feeding schedules | editor@eels.example.org (Sam Eelson) | Fri May 24 07:00:00 UTC 2024\n"
          "Twice a week is plenty for adults.\n"
          "https://eels.example.org/posts/feeding");

    feeds::feed_entry bare;
    bare.title = "Untitled";
    bare.link = "https://x.example/";
    CHECK(feeds::format_entry(bare) == "Untitled |  | \n\nhttps://x.example/");

    const auto atom = parse_fixture("atom.xml");
    CHECK(feeds::format_entry(atom.entries[0]) ==
          "Release 2.0 is out | Ada Muräne | Sun Jun 02 10:00:00 UTC 2024\n"
          "Two point oh\nFaster & smaller.\n"
          "https://moray.example.com/posts/release-2");
}

TEST_CASE("the body is cut at 300 characters counted as code points", "[unit][feed]") {
    feeds::feed_entry e;
    e.title = "t";
    e.link = "l";
    e.content = "<p>" + repeat("\xc3\xa9", 300) + "</p>";
    CHECK(feeds::format_entry(e) == "t |  | \n" + repeat("\xc3\xa9", 300) + "\nl");
    e.content = "<p>" + repeat("\xc3\xa9", 301) + "</p>";
    CHECK(feeds::format_entry(e) == "t |  | \n" + repeat("\xc3\xa9", 300) + "...\nl");
    e.content = repeat("\xf0\x9f\x90\x8d ", 200);
    const std::string message = feeds::format_entry(e);
    CHECK(message.find("...\nl") != std::string::npos);
    CHECK(feeds::clean_text(message) == message);
}

TEST_CASE("a formatted entry stays within 4000 characters and on one header line", "[unit][feed]") {
    feeds::feed_entry e;
    e.title = "Line one\nline two\x07 " + repeat("T", 5000);
    e.author = repeat("A", 500);
    e.date = utc(2024, 5, 25, 15, 49, 51);
    e.content = repeat("body ", 2000);
    e.link = "https://x.example/" + repeat("p", 10000);
    const std::string message = feeds::format_entry(e);
    CHECK(text::utf8_length(message) <= 4000);
    CHECK(message.starts_with("Line one line two " + repeat("T", 282) + "... | " + repeat("A", 100) +
                              "... | "));
    CHECK(message.find('\x07') == std::string::npos);
    CHECK(message.find('\n') == message.find(" | Sat May 25 15:49:51 UTC 2024\n") + 31);
}

TEST_CASE("dates print like java.util.Date in UTC", "[unit][feed]") {
    CHECK(feeds::format_date(utc(2024, 5, 25, 15, 49, 51)) == "Sat May 25 15:49:51 UTC 2024");
    CHECK(feeds::format_date(utc(1999, 12, 31, 23, 59, 59)) == "Fri Dec 31 23:59:59 UTC 1999");
    CHECK(feeds::format_date(utc(2024, 2, 29, 0, 0, 0) + milliseconds(999)) ==
          "Thu Feb 29 00:00:00 UTC 2024");
}

// --- which entries a poll posts ---------------------------------------------------------------------

namespace {

feeds::parsed_feed make_feed(std::vector<std::string> ids, bool dated = false) {
    feeds::parsed_feed f;
    int hour = 23;
    for (auto& id : ids) {
        feeds::feed_entry e;
        e.id = id;
        e.title = id;
        if (dated) e.date = utc(2024, 1, 1, hour--, 0, 0);
        f.entries.push_back(std::move(e));
    }
    return f;
}

std::vector<std::string> ids(const feeds::post_plan& p) {
    std::vector<std::string> out;
    for (const auto& e : p.entries)
        out.push_back(e.id);
    return out;
}

using strings = std::vector<std::string>;

} // namespace

TEST_CASE("the first fetch posts only the newest entry", "[unit][feed]") {
    const auto plan = feeds::entries_to_post(make_feed({"c", "b", "a"}), std::nullopt, 10);
    CHECK(ids(plan) == strings{"c"});
    CHECK(plan.last_seen_id == "c");
}

TEST_CASE("later fetches post every entry newer than the last seen oldest first", "[unit][feed]") {
    const auto feed = make_feed({"e", "d", "c", "b", "a"});
    auto plan = feeds::entries_to_post(feed, std::string("b"), 10);
    CHECK(ids(plan) == strings{"c", "d", "e"});
    CHECK(plan.last_seen_id == "e");

    plan = feeds::entries_to_post(feed, std::string("e"), 10);
    CHECK(plan.entries.empty());
    CHECK(plan.last_seen_id == "e");

    // At most `cap` per poll: the newest ones.
    plan = feeds::entries_to_post(feed, std::string("a"), 2);
    CHECK(ids(plan) == strings{"d", "e"});
    CHECK(plan.last_seen_id == "e");

    // The last seen entry dropped out of the feed: the newest `cap`.
    plan = feeds::entries_to_post(feed, std::string("gone"), 3);
    CHECK(ids(plan) == strings{"c", "d", "e"});
}

TEST_CASE("entries are ordered by date when every entry has one", "[unit][feed]") {
    auto feed = make_feed({"new", "mid", "old"}, true);
    std::swap(feed.entries[0], feed.entries[2]); // an oldest-first feed
    auto plan = feeds::entries_to_post(feed, std::string("old"), 10);
    CHECK(ids(plan) == strings{"mid", "new"});
    CHECK(plan.last_seen_id == "new");
    CHECK(ids(feeds::entries_to_post(feed, std::nullopt, 10)) == strings{"new"});

    // One undated entry: document order, first = newest.
    feed.entries[1].date.reset();
    plan = feeds::entries_to_post(feed, std::nullopt, 10);
    CHECK(ids(plan) == strings{"old"});
}

TEST_CASE("feeds in other encodings or lying about theirs still give valid UTF-8", "[unit][feed]") {
    auto latin1 =
        feeds::parse_feed("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel>"
                          "<item><guid>caf\xe9</guid><title>Gr\xfc\xdf"
                          "e</title></item></channel></rss>");
    REQUIRE(latin1.has_value());
    REQUIRE(latin1->entries.size() == 1);
    CHECK(latin1->entries[0].id == "caf\xc3\xa9");
    CHECK(latin1->entries[0].title == "Gr\xc3\xbc\xc3\x9f"
                                      "e");

    auto lying =
        feeds::parse_feed("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>"
                          "<item><guid>id\xff</guid><title>t\x01</title><link>https://x.example/\xe9</link>"
                          "<description>d\xc3</description></item></channel></rss>");
    REQUIRE(lying.has_value());
    REQUIRE(lying->entries.size() == 1);
    const auto& e = lying->entries[0];
    CHECK(e.id == "id\xef\xbf\xbd");
    CHECK(e.link == "https://x.example/\xef\xbf\xbd");
    CHECK(e.summary == "d\xef\xbf\xbd");
    CHECK(feeds::clean_text(feeds::format_entry(e)) == feeds::format_entry(e));
}
