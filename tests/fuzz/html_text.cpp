// Fuzz target: feeds/html_text.hpp, the HTML of feed entries turned into the plain text a chat shows.
//
// Input: byte 0 is the length truncate_text cuts at; all of it is an HTML fragment (and raw text).
// html_to_text must give valid UTF-8 without control characters but '\n', with whitespace collapsed and
// trimmed, and give its own text back through escape_html; clean_text must give clean text and change
// nothing the second time; truncate_text must cut on a code point boundary and add "..." only when it
// cut. format_date is fed the first eight bytes as a time.
#include "check.hpp"

#include "core/text.hpp"
#include "feeds/html_text.hpp"

#include <chrono>
#include <cstring>
#include <string>

namespace {

using namespace eelchat;

// html_to_text's whitespace: ASCII space, tab, CR, LF, form feed and U+00A0.
bool collapsed(std::string_view s) {
    if (s.empty()) return true;
    if (s.front() == ' ' || s.front() == '\n' || s.back() == ' ' || s.back() == '\n') return false;
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        const bool a = s[i] == ' ' || s[i] == '\n', b = s[i + 1] == ' ' || s[i + 1] == '\n';
        if (a && b) return false;
    }
    return s.find("\xc2\xa0") == std::string_view::npos;
}

void check_truncate(std::string_view clean, std::size_t max) {
    const std::string cut = feeds::truncate_text(clean, max);
    const std::size_t length = text::utf8_length(clean);
    if (length <= max) {
        FUZZ_CHECK(cut == clean);
        return;
    }
    FUZZ_CHECK(cut.ends_with("..."));
    const std::string_view kept = std::string_view(cut).substr(0, cut.size() - 3);
    FUZZ_CHECK(clean.starts_with(kept));
    FUZZ_CHECK(text::valid_utf8(kept));
    FUZZ_CHECK(text::utf8_length(kept) == max);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view input = fuzz::as_text(data, size);

    const std::string plain = feeds::html_to_text(input);
    FUZZ_CHECK(fuzz::clean(plain));
    FUZZ_CHECK(collapsed(plain));
    FUZZ_CHECK(feeds::html_to_text(feeds::escape_html(plain)) == plain);

    const std::string cleaned = feeds::clean_text(input);
    FUZZ_CHECK(fuzz::clean(cleaned));
    FUZZ_CHECK(feeds::clean_text(cleaned) == cleaned);
    if (text::valid_utf8(input) && fuzz::clean(input)) FUZZ_CHECK(cleaned == input);

    check_truncate(cleaned, data[0]);
    check_truncate(plain, data[0] % 16);

    std::int64_t ns = 0;
    std::memcpy(&ns, data, std::min(size, sizeof ns));
    const auto date = feeds::format_date(std::chrono::system_clock::time_point(std::chrono::nanoseconds(ns)));
    FUZZ_CHECK(date.size() == 28 && date.substr(20, 3) == "UTC");
    return 0;
}
