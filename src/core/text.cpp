#include "core/text.hpp"

#include <cstdio>

#include <cstdint>

namespace eelchat::text {

// The ranges are those of RFC 3629 section 4, which exclude overlong forms and surrogates by construction.
std::optional<char32_t> decode_next(std::string_view s, std::size_t& pos) {
    auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(s[i]); };
    std::uint8_t b0 = byte(pos);
    if (b0 < 0x80) {
        ++pos;
        return b0;
    }

    std::size_t len = 0;
    std::uint8_t lo = 0x80, hi = 0xbf; // allowed range of the second byte
    char32_t cp = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
        len = 2;
        cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
        len = 3;
        cp = b0 & 0x0f;
        if (b0 == 0xe0) lo = 0xa0; // below: overlong
        if (b0 == 0xed) hi = 0x9f; // above: surrogates
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        len = 4;
        cp = b0 & 0x07;
        if (b0 == 0xf0) lo = 0x90; // below: overlong
        if (b0 == 0xf4) hi = 0x8f; // above: beyond U+10FFFF
    } else {
        return std::nullopt; // continuation byte, C0/C1 (overlong 2-byte) or F5..FF (5- and 6-byte forms)
    }
    if (s.size() - pos < len) return std::nullopt;

    for (std::size_t i = 1; i < len; ++i) {
        std::uint8_t b = byte(pos + i);
        std::uint8_t min = i == 1 ? lo : 0x80;
        std::uint8_t max = i == 1 ? hi : 0xbf;
        if (b < min || b > max) return std::nullopt;
        cp = (cp << 6) | (b & 0x3f);
    }
    pos += len;
    return cp;
}

char to_lower_ascii(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

namespace {

bool is_ascii_space(char32_t c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

// Whitespace, plus the invisible characters people use to post something that looks empty.
bool is_blank(char32_t c) {
    if (is_ascii_space(c)) return true;
    switch (c) {
    case 0x0085: // next line
    case 0x00a0: // no-break space
    case 0x00ad: // soft hyphen
    case 0x034f: // combining grapheme joiner
    case 0x115f:
    case 0x1160:
    case 0x3164:
    case 0xffa0: // Hangul fillers
    case 0x1680: // ogham space mark
    case 0x180e: // Mongolian vowel separator
    case 0x2800: // braille pattern blank
    case 0x3000: // ideographic space
    case 0xfeff: // zero-width no-break space (BOM)
        return true;
    default:
        break;
    }
    return (c >= 0x2000 && c <= 0x200f)     // en quad .. zero-width joiners, directional marks
           || (c >= 0x2028 && c <= 0x202f)  // line/paragraph separators, bidi embeddings, narrow nbsp
           || (c >= 0x205f && c <= 0x206f); // medium math space, word joiner, invisible operators, isolates
}

bool is_control(char32_t c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

// Characters that change how the text after them is laid out: bidi embeddings and overrides, isolates,
// and line/paragraph separators.
bool is_layout_control(char32_t c) {
    return (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

bool is_atext(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '/':
    case '=':
    case '?':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~':
        return true;
    default:
        return false;
    }
}

bool valid_local_part(std::string_view local) {
    if (local.empty() || local.size() > 64) return false;
    if (local.front() == '.' || local.back() == '.') return false;
    char prev = 0;
    for (char c : local) {
        bool ok = is_atext(c) || static_cast<unsigned char>(c) >= 0x80 || (c == '.' && prev != '.');
        if (!ok) return false;
        prev = c;
    }
    return true;
}

bool valid_domain_label(std::string_view label) {
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                  static_cast<unsigned char>(c) >= 0x80;
        if (!ok) return false;
    }
    return true;
}

bool valid_domain(std::string_view domain) {
    if (domain.find('.') == std::string_view::npos) return false;
    while (true) {
        auto dot = domain.find('.');
        if (!valid_domain_label(domain.substr(0, dot))) return false;
        if (dot == std::string_view::npos) return true;
        domain.remove_prefix(dot + 1);
    }
}

std::string_view trim_ascii_space(std::string_view s) {
    while (!s.empty() && is_ascii_space(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && is_ascii_space(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

} // namespace

bool valid_utf8(std::string_view s) {
    std::size_t pos = 0;
    while (pos < s.size())
        if (!decode_next(s, pos)) return false;
    return true;
}

std::size_t utf8_length(std::string_view s) {
    std::size_t n = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++n;
    return n;
}

std::optional<std::string> normalize_email(std::string_view s) {
    s = trim_ascii_space(s);
    if (s.size() < 3 || s.size() > 254) return std::nullopt;
    if (!valid_utf8(s)) return std::nullopt;
    for (std::size_t pos = 0; pos < s.size();) {
        char32_t c = *decode_next(s, pos);
        if (is_control(c) || is_blank(c)) return std::nullopt;
    }

    std::string out(s);
    for (char& c : out)
        c = to_lower_ascii(c);

    auto at = out.find('@');
    if (at == std::string::npos || out.find('@', at + 1) != std::string::npos) return std::nullopt;
    std::string_view view(out);
    if (!valid_local_part(view.substr(0, at)) || !valid_domain(view.substr(at + 1))) return std::nullopt;
    return out;
}

message_problem check_message_text(std::string_view text, std::size_t max_chars) {
    std::size_t count = 0;
    bool visible = false;
    for (std::size_t pos = 0; pos < text.size();) {
        auto c = decode_next(text, pos);
        if (!c || *c == 0) return message_problem::invalid_utf8;
        if ((*c >= 0x202a && *c <= 0x202e) || (*c >= 0x2066 && *c <= 0x2069))
            return message_problem::direction_controls;
        if (!is_blank(*c)) visible = true;
        ++count;
    }
    if (!visible) return message_problem::empty;
    if (count > max_chars) return message_problem::too_long;
    return message_problem::none;
}

std::string normalize_newlines(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r') {
            out += '\n';
            if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::optional<std::string> clean_display_name(std::string_view s) {
    return clean_line(s, 50);
}

std::optional<std::string> clean_line(std::string_view s, std::size_t max_chars) {
    if (!valid_utf8(s)) return std::nullopt;

    // Trim whole code points: find the first and the end of the last non-blank one.
    std::size_t begin = s.size(), end = 0;
    std::size_t count = 0;
    for (std::size_t pos = 0; pos < s.size();) {
        std::size_t start = pos;
        char32_t c = *decode_next(s, pos);
        if (is_blank(c)) continue;
        if (begin == s.size()) begin = start;
        end = pos;
    }
    if (begin >= end) return std::nullopt;
    std::string_view name = s.substr(begin, end - begin);

    for (std::size_t pos = 0; pos < name.size();) {
        char32_t c = *decode_next(name, pos);
        if (is_control(c) || is_layout_control(c)) return std::nullopt;
        ++count;
    }
    if (count > max_chars) return std::nullopt;
    return std::string(name);
}

bool is_reserved_display_name(std::string_view name) {
    // The name as a reader might take it: ASCII letters and digits only, lower case, look-alikes folded.
    std::string folded, raw;
    for (char ch : name) {
        const char c = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) raw += c;
        switch (c) {
        case '0':
            folded += 'o';
            break;
        case '1':
            folded += 'l';
            break;
        case '3':
            folded += 'e';
            break;
        case '5':
        case '$':
            folded += 's';
            break;
        default:
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                folded += c;
            else if (static_cast<unsigned char>(c) >= 0x80)
                folded += '?'; // non-ASCII: not a match
        }
    }
    for (std::string_view reserved :
         {"system", "eelchat", "admin", "administrator", "moderator", "formermember"})
        if (folded == reserved) return true;
    // "User 1a2b": the label of a member without a display name.
    if (raw.size() == 8 && raw.starts_with("user") &&
        raw.find_first_not_of("0123456789abcdef", 4) == std::string::npos)
        return true;
    return false;
}

std::string ascii_upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

namespace {

std::string encode_bytes(std::string_view s, bool space_as_plus) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else if (c == ' ' && space_as_plus) {
            out += '+';
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    return out;
}

} // namespace

std::string form_encode(std::string_view s) {
    return encode_bytes(s, true);
}

std::string percent_encode(std::string_view s) {
    return encode_bytes(s, false);
}

std::string human_size(std::int64_t bytes) {
    if (bytes < 1024) return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
    static constexpr const char* units[] = {"KB", "MB", "GB", "TB"};
    double v = static_cast<double>(bytes);
    int unit = -1;
    while (v >= 1024 && unit < 3) {
        v /= 1024;
        ++unit;
    }
    char out[32];
    std::snprintf(out, sizeof out, v < 9.95 ? "%.1f %s" : "%.0f %s", v, units[unit]);
    return out;
}

} // namespace eelchat::text
