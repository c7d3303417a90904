#include "feeds/html_text.hpp"

#include "core/text.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>

namespace eelchat::feeds {

namespace {

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_alnum(char c) {
    return is_alpha(c) || (c >= '0' && c <= '9');
}
// The Latin-1 entities in code point order, U+00A0 to U+00FF (HTML 4's HTMLlat1 set).
constexpr std::array<std::string_view, 96> latin1_names{
    "nbsp",   "iexcl",  "cent",   "pound",  "curren", "yen",    "brvbar", "sect",   "uml",    "copy",
    "ordf",   "laquo",  "not",    "shy",    "reg",    "macr",   "deg",    "plusmn", "sup2",   "sup3",
    "acute",  "micro",  "para",   "middot", "cedil",  "sup1",   "ordm",   "raquo",  "frac14", "frac12",
    "frac34", "iquest", "Agrave", "Aacute", "Acirc",  "Atilde", "Auml",   "Aring",  "AElig",  "Ccedil",
    "Egrave", "Eacute", "Ecirc",  "Euml",   "Igrave", "Iacute", "Icirc",  "Iuml",   "ETH",    "Ntilde",
    "Ograve", "Oacute", "Ocirc",  "Otilde", "Ouml",   "times",  "Oslash", "Ugrave", "Uacute", "Ucirc",
    "Uuml",   "Yacute", "THORN",  "szlig",  "agrave", "aacute", "acirc",  "atilde", "auml",   "aring",
    "aelig",  "ccedil", "egrave", "eacute", "ecirc",  "euml",   "igrave", "iacute", "icirc",  "iuml",
    "eth",    "ntilde", "ograve", "oacute", "ocirc",  "otilde", "ouml",   "divide", "oslash", "ugrave",
    "uacute", "ucirc",  "uuml",   "yacute", "thorn",  "yuml"};

struct named_entity {
    std::string_view name;
    char32_t cp;
};

constexpr std::array<named_entity, 46> other_names{{
    {"amp", '&'},       {"lt", '<'},        {"gt", '>'},        {"quot", '"'},      {"apos", '\''},
    {"hellip", 0x2026}, {"mdash", 0x2014},  {"ndash", 0x2013},  {"lsquo", 0x2018},  {"rsquo", 0x2019},
    {"sbquo", 0x201a},  {"ldquo", 0x201c},  {"rdquo", 0x201d},  {"bdquo", 0x201e},  {"bull", 0x2022},
    {"euro", 0x20ac},   {"trade", 0x2122},  {"larr", 0x2190},   {"uarr", 0x2191},   {"rarr", 0x2192},
    {"darr", 0x2193},   {"harr", 0x2194},   {"dagger", 0x2020}, {"Dagger", 0x2021}, {"permil", 0x2030},
    {"lsaquo", 0x2039}, {"rsaquo", 0x203a}, {"prime", 0x2032},  {"Prime", 0x2033},  {"minus", 0x2212},
    {"le", 0x2264},     {"ge", 0x2265},     {"ne", 0x2260},     {"infin", 0x221e},  {"asymp", 0x2248},
    {"thinsp", 0x2009}, {"ensp", 0x2002},   {"emsp", 0x2003},   {"zwnj", 0x200c},   {"zwj", 0x200d},
    {"OElig", 0x152},   {"oelig", 0x153},   {"Scaron", 0x160},  {"scaron", 0x161},  {"circ", 0x2c6},
    {"tilde", 0x2dc},
}};

std::optional<char32_t> lookup_entity(std::string_view name) {
    for (std::size_t i = 0; i < latin1_names.size(); ++i)
        if (latin1_names[i] == name) return static_cast<char32_t>(0xa0 + i);
    for (const auto& e : other_names)
        if (e.name == name) return e.cp;
    return std::nullopt;
}

// Decodes the character reference at html[i] == '&' into out and returns the index after it; a '&' that
// starts no known reference is kept as text.
std::size_t decode_reference(std::string_view html, std::size_t i, std::string& out) {
    std::size_t j = i + 1;
    if (j < html.size() && html[j] == '#') {
        ++j;
        const bool hex = j < html.size() && (html[j] == 'x' || html[j] == 'X');
        if (hex) ++j;
        const std::size_t digits_start = j;
        std::uint32_t value = 0;
        while (j < html.size()) {
            const char c = html[j];
            int d;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (hex && c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            else
                break;
            if (value <= 0x10ffff) value = value * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
            ++j;
        }
        if (j == digits_start) {
            out += '&';
            return i + 1;
        }
        if (j < html.size() && html[j] == ';') ++j;
        const bool valid = value != 0 && value <= 0x10ffff && (value < 0xd800 || value > 0xdfff);
        append_utf8(out, valid ? static_cast<char32_t>(value) : 0xfffd);
        return j;
    }
    while (j < html.size() && j - i <= 10 && is_alnum(html[j]))
        ++j;
    if (j < html.size() && html[j] == ';') {
        if (auto cp = lookup_entity(html.substr(i + 1, j - i - 1))) {
            append_utf8(out, *cp);
            return j + 1;
        }
    }
    out += '&';
    return i + 1;
}

bool is_block(std::string_view tag) {
    static constexpr std::array<std::string_view, 30> blocks{
        "p",     "div", "li",     "ul",         "ol",  "h1", "h2",      "h3",      "h4",      "h5",
        "h6",    "tr",  "table",  "blockquote", "pre", "hr", "section", "article", "header",  "footer",
        "aside", "nav", "figure", "figcaption", "dl",  "dt", "dd",      "address", "details", "summary"};
    for (auto b : blocks)
        if (b == tag) return true;
    return tag == "br";
}

// The index after the '>' that ends the tag starting at html[i] == '<', skipping quoted attribute values.
std::size_t tag_end(std::string_view html, std::size_t i) {
    char quote = 0;
    for (std::size_t j = i + 1; j < html.size(); ++j) {
        const char c = html[j];
        if (quote) {
            if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '>') {
            return j + 1;
        }
    }
    return html.size();
}

// Index of the case-insensitive `needle` in html from `from`, or npos.
std::size_t find_ci(std::string_view html, std::string_view needle, std::size_t from) {
    for (std::size_t i = from; i + needle.size() <= html.size(); ++i) {
        std::size_t k = 0;
        while (k < needle.size() && text::to_lower_ascii(html[i + k]) == needle[k])
            ++k;
        if (k == needle.size()) return i;
    }
    return std::string_view::npos;
}

bool is_space(char32_t c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0xa0 || c == '\f';
}

} // namespace

std::string clean_text(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t pos = 0; pos < s.size();) {
        auto cp = text::decode_next(s, pos);
        if (!cp) {
            append_utf8(out, 0xfffd);
            ++pos;
            continue;
        }
        const char32_t c = *cp;
        if (c == '\t' || c == '\r') {
            out += ' ';
        } else if (c == '\n') {
            out += '\n';
        } else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0xad || (c >= 0x202a && c <= 0x202e) ||
                   (c >= 0x2066 && c <= 0x2069)) {
            continue;
        } else {
            append_utf8(out, c);
        }
    }
    return out;
}

std::string html_to_text(std::string_view html) {
    std::string raw;
    raw.reserve(html.size());
    std::size_t i = 0;
    while (i < html.size()) {
        const char c = html[i];
        if (c == '&') {
            i = decode_reference(html, i, raw);
            continue;
        }
        if (c != '<') {
            raw += c;
            ++i;
            continue;
        }
        const std::string_view rest = html.substr(i);
        if (rest.starts_with("<!--")) {
            const auto end = html.find("-->", i + 4);
            i = end == std::string_view::npos ? html.size() : end + 3;
            continue;
        }
        if (rest.starts_with("<![CDATA[")) {
            const auto end = html.find("]]>", i + 9);
            const auto stop = end == std::string_view::npos ? html.size() : end;
            raw.append(html.substr(i + 9, stop - (i + 9)));
            i = end == std::string_view::npos ? html.size() : end + 3;
            continue;
        }
        const bool closing = rest.size() > 1 && rest[1] == '/';
        const std::size_t name_start = i + 1 + (closing ? 1 : 0);
        const bool declaration = rest.size() > 1 && (rest[1] == '!' || rest[1] == '?');
        if (!declaration && (name_start >= html.size() || !is_alpha(html[name_start]))) {
            raw += '<'; // "a < b", "<3": text, not a tag
            ++i;
            continue;
        }
        std::string name;
        for (std::size_t j = name_start; j < html.size() && is_alnum(html[j]); ++j)
            name += text::to_lower_ascii(html[j]);
        i = tag_end(html, i);
        if (declaration) continue;
        if (!closing && (name == "script" || name == "style" || name == "template")) {
            const auto close = find_ci(html, "</" + name, i);
            i = close == std::string_view::npos ? html.size() : tag_end(html, close);
            continue;
        }
        if (is_block(name))
            raw += '\n';
        else if (name == "td" || name == "th" || name == "img")
            raw += ' ';
    }

    // Collapse whitespace: a run with a line break becomes one '\n', any other run one space.
    const std::string cleaned = clean_text(raw);
    std::string out;
    out.reserve(cleaned.size());
    bool in_space = false, has_break = false;
    for (std::size_t pos = 0; pos < cleaned.size();) {
        const std::size_t start = pos;
        const char32_t cp = *text::decode_next(cleaned, pos); // clean_text made it valid
        if (is_space(cp)) {
            in_space = true;
            has_break = has_break || cp == '\n';
            continue;
        }
        if (in_space && !out.empty()) out += has_break ? '\n' : ' ';
        in_space = has_break = false;
        out.append(cleaned, start, pos - start);
    }
    return out;
}

std::string truncate_text(std::string_view utf8, std::size_t max) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < utf8.size(); ++i) {
        if ((static_cast<unsigned char>(utf8[i]) & 0xc0) == 0x80) continue;
        if (count == max) return std::string(utf8.substr(0, i)) + "...";
        ++count;
    }
    return std::string(utf8);
}

std::string escape_html(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '&')
            out += "&amp;";
        else if (c == '<')
            out += "&lt;";
        else if (c == '>')
            out += "&gt;";
        else
            out += c;
    }
    return out;
}

std::string format_date(std::chrono::system_clock::time_point t) {
    static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto secs = std::chrono::floor<std::chrono::seconds>(t);
    const auto day = std::chrono::floor<std::chrono::days>(secs);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{secs - day};
    const std::chrono::weekday wd{day};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s %s %02u %02d:%02d:%02d UTC %d", days[wd.c_encoding()],
                  months[static_cast<unsigned>(ymd.month()) - 1], static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()), static_cast<int>(ymd.year()));
    return buf;
}

} // namespace eelchat::feeds
