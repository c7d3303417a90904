#include "frames.hpp"

#include <charconv>
#include <cstring>
#include <ctime>

namespace eelbench {

namespace {

constexpr std::string_view mark_prefix = "eb:";
constexpr std::string_view cursor_attr = "id=\"event-cursor\" value=\"";
constexpr std::string_view seq_attr = "data-seq=\"";

// Parses an unsigned decimal at `pos` followed by `stop`; advances `pos` past `stop`.
template <class Int> bool read_number(std::string_view s, std::size_t& pos, char stop, Int& out) {
    const char* first = s.data() + pos;
    const char* last = s.data() + s.size();
    auto [p, ec] = std::from_chars(first, last, out);
    if (ec != std::errc() || p == last || *p != stop) return false;
    pos = static_cast<std::size_t>(p - s.data()) + 1;
    return true;
}

} // namespace

std::string make_text(const bench_mark& m, std::size_t size) {
    std::string t(mark_prefix);
    t += std::to_string(m.post);
    t += ':';
    t += std::to_string(m.channel);
    t += ':';
    t += std::to_string(m.sent_ns);
    t += ':';
    if (t.size() < size) t.append(size - t.size(), 'x');
    return t;
}

std::optional<bench_mark> find_mark(std::string_view s) {
    // memmem, not string_view::find: find looks for the first character with memchr and compares from
    // there, and 'e' is in every other word of the HTML before the text.
    const void* hit = ::memmem(s.data(), s.size(), mark_prefix.data(), mark_prefix.size());
    if (!hit) return std::nullopt;
    std::size_t pos = static_cast<std::size_t>(static_cast<const char*>(hit) - s.data()) + mark_prefix.size();
    bench_mark m;
    if (!read_number(s, pos, ':', m.post) || !read_number(s, pos, ':', m.channel) ||
        !read_number(s, pos, ':', m.sent_ns))
        return std::nullopt;
    return m;
}

std::optional<std::int64_t> read_seq_attr(std::string_view s, std::size_t& pos) {
    const void* hit = ::memmem(s.data() + pos, s.size() - pos, seq_attr.data(), seq_attr.size());
    if (!hit) return std::nullopt;
    pos = static_cast<std::size_t>(static_cast<const char*>(hit) - s.data()) + seq_attr.size();
    std::int64_t seq = 0;
    if (!read_number(s, pos, '"', seq)) return -1;
    return seq;
}

parsed_frame parse_frame(std::string_view frame) {
    parsed_frame out;
    // Every event frame starts with the page's cursor: the event's number in the channel's history. For a
    // posted message it is the message's own number (data-seq), which older servers send alone. Only the
    // frame's first bytes are looked at for the cursor.
    std::size_t pos = 0;
    auto at = frame.substr(0, 64 + cursor_attr.size()).find(cursor_attr);
    auto attr = cursor_attr;
    if (at == std::string_view::npos || at > 64) {
        at = frame.find(seq_attr);
        attr = seq_attr;
    }
    if (at != std::string_view::npos) {
        pos = at + attr.size();
        std::int64_t seq = 0;
        if (read_number(frame, pos, '"', seq)) out.seq = seq;
        // The marker is in the text, after the attribute.
        out.mark = find_mark(frame.substr(pos));
    }
    return out;
}

std::int64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

} // namespace eelbench
