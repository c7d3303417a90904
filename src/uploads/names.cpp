#include "uploads/names.hpp"

#include "core/text.hpp"

namespace eelchat::uploads {

namespace {

// Code points that must not be in a name shown in a page or a header: C0, DEL, C1, line and paragraph
// separators, and the bidirectional embeddings, overrides and isolates (which would make
// "photo\u202Egpj.exe" read as "photoexe.jpg").
bool unwanted(char32_t c) {
    return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029 ||
           (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f ||
           c == 0xfeff;
}

void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xc0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xe0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (c & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (c & 0x3f));
    }
}

} // namespace

std::string clean_file_name(std::string_view sent) {
    if (auto slash = sent.find_last_of("/\\"); slash != std::string_view::npos) sent = sent.substr(slash + 1);
    std::string kept;
    std::size_t pos = 0;
    while (pos < sent.size()) {
        auto c = text::decode_next(sent, pos);
        if (!c) {
            ++pos; // a malformed byte is dropped
            continue;
        }
        if (unwanted(*c)) continue;
        std::string one;
        append_utf8(one, *c);
        if (kept.size() + one.size() > 255) break;
        kept += one;
    }
    auto first = kept.find_first_not_of(' ');
    if (first == std::string::npos) return "file";
    kept = kept.substr(first, kept.find_last_not_of(' ') - first + 1);
    if (kept == "." || kept == "..") return "file";
    return kept;
}

std::string content_disposition(bool inline_display, std::string_view name) {
    std::string fallback;
    for (unsigned char c : name)
        fallback += (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') ? '_' : static_cast<char>(c);
    std::string out = inline_display ? "inline" : "attachment";
    out += "; filename=\"" + fallback + "\"; filename*=UTF-8''" + text::percent_encode(name);
    return out;
}

} // namespace eelchat::uploads
