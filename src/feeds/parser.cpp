#include "feeds/parser.hpp"

#include "feeds/html_text.hpp"

#include <boost/throw_exception.hpp>

#include <pugixml.hpp>

#include <array>
#include <stdexcept>
#include <vector>

namespace eelchat::feeds {

namespace {

using time_point = std::chrono::system_clock::time_point;

// --- dates ------------------------------------------------------------------------------------------

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowered(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = lower(c);
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

// Reads exactly `n` digits at s[pos] and advances.
std::optional<int> digits(std::string_view s, std::size_t& pos, std::size_t n) {
    if (s.size() - pos < n) return std::nullopt;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (!is_digit(s[pos + i])) return std::nullopt;
        v = v * 10 + (s[pos + i] - '0');
    }
    pos += n;
    return v;
}

std::optional<time_point> make_time(int y, int mo, int d, int h, int mi, int s, int offset_minutes) {
    using namespace std::chrono;
    if (mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
        return std::nullopt;
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return std::nullopt;
    if (s == 60) s = 59; // a leap second
    const sys_seconds t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{s} - minutes{offset_minutes};
    // system_clock counts nanoseconds in 64 bits, about 1678 to 2261: a date beyond ("9999-12-31", a
    // common "never") has no time_point, and converting it would overflow.
    if (t < ceil<seconds>(time_point::min()) || t > floor<seconds>(time_point::max())) return std::nullopt;
    return time_point(t);
}

// "+0200", "-05:00", "GMT", "EST"...; nullopt for an unknown form.
std::optional<int> zone_offset(std::string_view z) {
    if (z.empty()) return 0;
    if (z[0] == '+' || z[0] == '-') {
        std::size_t pos = 1;
        auto h = digits(z, pos, 2);
        if (pos < z.size() && z[pos] == ':') ++pos;
        auto m = digits(z, pos, 2);
        if (!h || !m || pos != z.size() || *h > 23 || *m > 59) return std::nullopt;
        return (z[0] == '-' ? -1 : 1) * (*h * 60 + *m);
    }
    static constexpr std::array<std::pair<std::string_view, int>, 12> names{{{"ut", 0},
                                                                             {"utc", 0},
                                                                             {"gmt", 0},
                                                                             {"z", 0},
                                                                             {"est", -300},
                                                                             {"edt", -240},
                                                                             {"cst", -360},
                                                                             {"cdt", -300},
                                                                             {"mst", -420},
                                                                             {"mdt", -360},
                                                                             {"pst", -480},
                                                                             {"pdt", -420}}};
    const std::string l = lowered(z);
    for (const auto& [name, offset] : names)
        if (l == name) return offset;
    return std::nullopt;
}

std::optional<time_point> rfc822(std::string_view s) {
    std::vector<std::string_view> tokens;
    for (std::size_t i = 0; i < s.size();) {
        while (i < s.size() && (s[i] == ' ' || s[i] == ',' || s[i] == '\t'))
            ++i;
        const std::size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != ',' && s[i] != '\t')
            ++i;
        if (i > start) tokens.push_back(s.substr(start, i - start));
    }
    static constexpr std::array<std::string_view, 12> months{"jan", "feb", "mar", "apr", "may", "jun",
                                                             "jul", "aug", "sep", "oct", "nov", "dec"};
    const auto month_of = [](std::string_view t) -> int {
        if (t.size() < 3) return 0;
        const std::string l = lowered(t.substr(0, 3));
        for (std::size_t i = 0; i < months.size(); ++i)
            if (months[i] == l) return static_cast<int>(i + 1);
        return 0;
    };
    std::size_t k = 0;
    if (!tokens.empty() && is_alpha(tokens[0][0]) && month_of(tokens[0]) == 0) ++k; // the day name
    if (tokens.size() < k + 4 || tokens.size() > k + 5) return std::nullopt;
    std::size_t pos = 0;
    const std::string_view day_token = tokens[k];
    auto d = digits(day_token, pos, day_token.size() == 1 ? 1 : 2);
    const int mo = month_of(tokens[k + 1]);
    const std::string_view year_token = tokens[k + 2];
    // Checked before reading it: a longer run of digits would overflow the int.
    if (year_token.size() != 2 && year_token.size() != 4) return std::nullopt;
    pos = 0;
    auto y = digits(year_token, pos, year_token.size());
    if (!d || pos != year_token.size() || mo == 0 || !y) return std::nullopt;
    int year = *y;
    if (year_token.size() == 2) year += year < 50 ? 2000 : 1900;
    const std::string_view t = tokens[k + 3];
    pos = 0;
    auto h = digits(t, pos, t.size() > 1 && t[1] == ':' ? 1 : 2);
    if (!h || pos >= t.size() || t[pos] != ':') return std::nullopt;
    ++pos;
    auto mi = digits(t, pos, 2);
    int sec = 0;
    if (mi && pos < t.size() && t[pos] == ':') {
        ++pos;
        auto sv = digits(t, pos, 2);
        if (!sv) return std::nullopt;
        sec = *sv;
    }
    if (!mi || pos != t.size()) return std::nullopt;
    auto offset = zone_offset(tokens.size() > k + 4 ? tokens[k + 4] : std::string_view{});
    if (!offset) return std::nullopt;
    return make_time(year, mo, *d, *h, *mi, sec, *offset);
}

std::optional<time_point> rfc3339(std::string_view s) {
    std::size_t pos = 0;
    auto y = digits(s, pos, 4);
    if (!y || pos >= s.size() || s[pos++] != '-') return std::nullopt;
    auto mo = digits(s, pos, 2);
    if (!mo || pos >= s.size() || s[pos++] != '-') return std::nullopt;
    auto d = digits(s, pos, 2);
    if (!d) return std::nullopt;
    if (pos == s.size()) return make_time(*y, *mo, *d, 0, 0, 0, 0);
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
    ++pos;
    auto h = digits(s, pos, 2);
    if (!h || pos >= s.size() || s[pos++] != ':') return std::nullopt;
    auto mi = digits(s, pos, 2);
    if (!mi) return std::nullopt;
    int sec = 0;
    if (pos < s.size() && s[pos] == ':') {
        ++pos;
        auto sv = digits(s, pos, 2);
        if (!sv) return std::nullopt;
        sec = *sv;
        if (pos < s.size() && s[pos] == '.') {
            ++pos;
            const std::size_t start = pos;
            while (pos < s.size() && is_digit(s[pos]))
                ++pos;
            if (pos == start) return std::nullopt;
        }
    }
    std::string_view zone = s.substr(pos);
    auto offset = zone_offset(zone);
    if (!offset) return std::nullopt;
    return make_time(*y, *mo, *d, *h, *mi, sec, *offset);
}

// --- XML --------------------------------------------------------------------------------------------

std::string_view local_name(const pugi::xml_node& n) {
    const std::string_view name = n.name();
    const auto colon = name.rfind(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// The first child element with this local name, whatever its prefix.
pugi::xml_node child(const pugi::xml_node& n, std::string_view local) {
    for (auto c : n.children())
        if (c.type() == pugi::node_element && local_name(c) == local) return c;
    return {};
}

struct string_writer final : pugi::xml_writer {
    std::string out;
    void write(const void* data, std::size_t size) override {
        out.append(static_cast<const char*>(data), size);
    }
};

std::string inner_xml(const pugi::xml_node& n) {
    string_writer w;
    for (auto c : n.children())
        c.print(w, "", pugi::format_raw);
    return std::move(w.out);
}

// The element's text (all its text and CDATA children); markup inside it (unescaped XHTML) is kept as is.
std::string text_of(const pugi::xml_node& n) {
    if (!n) return {};
    bool has_elements = false;
    std::string out;
    for (auto c : n.children()) {
        if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
        if (c.type() == pugi::node_element) has_elements = true;
    }
    return has_elements ? inner_xml(n) : out;
}

std::string trimmed_text(const pugi::xml_node& n) {
    return std::string(trim(text_of(n)));
}

// An Atom text construct (RFC 4287 3.1) as HTML.
std::string atom_html(const pugi::xml_node& n) {
    if (!n || n.attribute("src")) return {};
    const std::string type = lowered(n.attribute("type").value());
    if (type == "xhtml") return inner_xml(n);
    if (type == "html" || type == "text/html") return text_of(n);
    if (type.empty() || type == "text" || type.starts_with("text/")) return escape_html(text_of(n));
    return {}; // another media type, possibly base64
}

std::optional<time_point> first_date(const pugi::xml_node& n, std::initializer_list<std::string_view> names,
                                     bool rfc822_first) {
    for (auto name : names) {
        const std::string text = trimmed_text(child(n, name));
        if (text.empty()) continue;
        auto t = rfc822_first ? parse_rfc822_date(text) : parse_rfc3339_date(text);
        if (t) return t;
    }
    return std::nullopt;
}

// Every field becomes valid UTF-8 without NULs or control characters, as PostgreSQL text and the chat
// need, whatever encoding the feed really used.
void finish(feed_entry& e, std::vector<feed_entry>& out) {
    e.id = clean_text(e.id);
    e.link = clean_text(e.link);
    e.content = clean_text(e.content);
    e.summary = clean_text(e.summary);
    if (e.id.empty()) e.id = !e.link.empty() ? e.link : e.title;
    if (!e.id.empty()) out.push_back(std::move(e));
}

// RSS 2.0 and RSS 1.0 items share their element names.
feed_entry rss_item(const pugi::xml_node& item) {
    feed_entry e;
    const auto guid = item.child("guid");
    e.id = trimmed_text(guid);
    e.link = trimmed_text(item.child("link"));
    const bool permalink = std::string_view(guid.attribute("isPermaLink").value()) != "false";
    if (e.link.empty() && permalink && (e.id.starts_with("http://") || e.id.starts_with("https://")))
        e.link = e.id;
    if (e.id.empty()) e.id = item.attribute("rdf:about").value();
    e.title = html_to_text(text_of(item.child("title")));
    auto creator = child(item, "creator");
    e.author = html_to_text(text_of(creator ? creator : item.child("author")));
    e.date = first_date(item, {"pubDate", "date"}, true);
    e.content = text_of(child(item, "encoded"));
    e.summary = text_of(item.child("description"));
    return e;
}

std::string atom_link(const pugi::xml_node& entry) {
    pugi::xml_node first;
    for (auto l : entry.children()) {
        if (l.type() != pugi::node_element || local_name(l) != "link") continue;
        const std::string_view rel = l.attribute("rel").value();
        if (rel.empty() || rel == "alternate") return std::string(trim(l.attribute("href").value()));
        if (!first) first = l;
    }
    return std::string(trim(first.attribute("href").value()));
}

feed_entry atom_entry(const pugi::xml_node& entry, const std::string& feed_author) {
    feed_entry e;
    e.id = trimmed_text(child(entry, "id"));
    e.link = atom_link(entry);
    e.title = html_to_text(atom_html(child(entry, "title")));
    e.author = html_to_text(text_of(child(child(entry, "author"), "name")));
    if (e.author.empty()) e.author = feed_author;
    e.date = first_date(entry, {"published", "updated", "issued", "modified"}, false);
    e.content = atom_html(child(entry, "content"));
    e.summary = atom_html(child(entry, "summary"));
    return e;
}

bool looks_like_html(std::string_view s) {
    if (s.starts_with("\xef\xbb\xbf")) s.remove_prefix(3);
    s = trim(s);
    const std::string head = lowered(s.substr(0, 16));
    return head.starts_with("<!doctype html") || head.starts_with("<html");
}

} // namespace

void throw_exception_from_error(const feed_error& e, const boost::source_location& loc) {
    boost::throw_exception(std::runtime_error(e.message), loc);
}

std::optional<time_point> parse_rfc822_date(std::string_view s) {
    s = trim(s);
    if (auto t = rfc822(s)) return t;
    return rfc3339(s);
}

std::optional<time_point> parse_rfc3339_date(std::string_view s) {
    s = trim(s);
    if (auto t = rfc3339(s)) return t;
    return rfc822(s);
}

boost::system::result<parsed_feed, feed_error> parse_feed(std::string_view xml) {
    const feed_error html{"not an RSS or Atom feed (an HTML page)"};
    if (looks_like_html(xml)) return html;
    pugi::xml_document doc;
    const auto loaded = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_auto);
    if (!loaded)
        return feed_error{"malformed XML (" + std::string(loaded.description()) + " at byte " +
                          std::to_string(loaded.offset) + ")"};
    const auto root = doc.document_element();
    const std::string_view kind = local_name(root);
    parsed_feed feed;
    if (kind == "rss" || kind == "RDF") {
        const auto channel = child(root, "channel");
        if (kind == "rss" && !channel) return feed_error{"not an RSS or Atom feed"};
        feed.title = html_to_text(text_of(channel.child("title")));
        // RSS 2.0 items are inside the channel; RSS 1.0 items are its siblings.
        for (auto item : (kind == "rss" ? channel : root).children("item")) {
            feed_entry e = rss_item(item);
            finish(e, feed.entries);
        }
    } else if (kind == "feed") {
        feed.title = html_to_text(atom_html(child(root, "title")));
        const std::string author = html_to_text(text_of(child(child(root, "author"), "name")));
        for (auto c : root.children()) {
            if (c.type() != pugi::node_element || local_name(c) != "entry") continue;
            feed_entry e = atom_entry(c, author);
            finish(e, feed.entries);
        }
    } else if (lowered(kind) == "html") {
        return html;
    } else {
        return feed_error{"not an RSS or Atom feed"};
    }
    return feed;
}

} // namespace eelchat::feeds
