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

} // namespace

std::string clean_file_name(std::string_view sent) {
    if (auto slash = sent.find_last_of("/\\"); slash != std::string_view::npos) sent = sent.substr(slash + 1);
    std::string kept;
    std::size_t pos = 0;
    while (pos < sent.size()) {
        const std::size_t start = pos;
        auto c = text::decode_next(sent, pos);
        if (!c) {
            ++pos; // a malformed byte is dropped
            continue;
        }
        if (unwanted(*c)) continue;
        const std::string_view one = sent.substr(start, pos - start); // valid UTF-8, as sent
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
