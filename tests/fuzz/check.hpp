// What the fuzz targets share: FUZZ_CHECK, which reports a broken invariant and aborts so that libFuzzer
// keeps the input as a crash, and the text invariants several parsers promise.
#pragma once

#include "core/text.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond)                                                                                     \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);                \
            std::abort();                                                                                    \
        }                                                                                                    \
    } while (false)

namespace fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Splits off the text before the first '\n' (all of `in` when there is none) and advances past it.
inline std::string_view next_line(std::string_view& in) {
    const auto nl = in.find('\n');
    const std::string_view line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
    return line;
}

// What feeds/html_text.hpp's clean_text promises: valid UTF-8 with no C0 control but '\n', no DEL, no
// C1, no soft hyphen and no bidirectional embedding, override or isolate control.
inline bool clean(std::string_view s) {
    for (std::size_t pos = 0; pos < s.size();) {
        const auto cp = eelchat::text::decode_next(s, pos);
        if (!cp) return false;
        const char32_t c = *cp;
        if ((c < 0x20 && c != '\n') || (c >= 0x7f && c <= 0x9f) || c == 0xad) return false;
        if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return false;
    }
    return true;
}

} // namespace fuzz
