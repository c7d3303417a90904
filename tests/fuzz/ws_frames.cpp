// Fuzz target: net::ws_frame_parser, the parser of what a browser sends on a WebSocket.
//
// Input: byte 0 picks the message size limit, byte 1 the chunk sizes, the rest is the client's byte
// stream. The stream is parsed twice, once whole and once cut into chunks, and both runs must report the
// same events: how the socket happened to split the bytes must not change their meaning. Every event is
// checked against what the header promises (control payloads within 125 bytes, close codes valid, an
// error that sticks, no event without progress).
#include "check.hpp"

#include "net/ws_frame.hpp"

#include <array>
#include <string>
#include <vector>

namespace {

using eelchat::net::ws_client_event;
using eelchat::net::ws_frame_parser;
using kind = ws_client_event::kind;

struct event {
    kind what;
    std::uint16_t code;
    std::string payload; // copied: the parser's view lasts only until its next call

    bool operator==(const event&) const = default;
};

// The checks on one event; `before` and `after` are the sizes of the input around the call.
void check_event(const ws_client_event& e, std::size_t before, std::size_t after) {
    switch (e.what) {
    case kind::none:
        FUZZ_CHECK(after == 0); // none only when the input ran out
        FUZZ_CHECK(e.code == 0 && e.payload.empty());
        break;
    case kind::ping:
    case kind::pong:
        FUZZ_CHECK(after < before);
        FUZZ_CHECK(e.payload.size() <= 125);
        FUZZ_CHECK(e.code == 0);
        break;
    case kind::close:
        FUZZ_CHECK(after < before);
        FUZZ_CHECK(e.payload.size() <= 123);
        if (e.code == 0)
            FUZZ_CHECK(e.payload.empty()); // no code, no reason
        else
            FUZZ_CHECK(eelchat::net::valid_close_code(e.code));
        break;
    case kind::error:
        FUZZ_CHECK(e.code == 1002 || e.code == 1009); // protocol error or message too big
        break;
    }
}

// Once the client broke the protocol, every later call reports the same error, whatever it is given.
void check_spent(ws_frame_parser& p, std::uint16_t code, std::string_view rest) {
    static constexpr char ping[] = {char(0x89), char(0x80), 1, 2, 3, 4}; // a valid, empty, masked ping
    for (std::string_view in : {rest, std::string_view{}, std::string_view(ping, sizeof ping)}) {
        const auto e = p.next(in);
        FUZZ_CHECK(e.what == kind::error);
        FUZZ_CHECK(e.code == code);
    }
}

// Feeds `stream` in pieces of the given sizes (cycling), collecting every event up to the first error.
std::vector<event> parse(std::size_t max_message, std::string_view stream,
                         const std::vector<std::size_t>& sizes) {
    ws_frame_parser p(max_message);
    std::vector<event> events;
    std::size_t next_size = 0;
    while (!stream.empty()) {
        const std::size_t n = std::min(sizes[next_size++ % sizes.size()], stream.size());
        std::string_view in = stream.substr(0, n);
        stream.remove_prefix(n);
        for (;;) {
            const std::size_t before = in.size();
            const auto e = p.next(in);
            check_event(e, before, in.size());
            if (e.what == kind::none) break;
            events.push_back({e.what, e.code, std::string(e.payload)});
            if (e.what == kind::error) {
                check_spent(p, e.code, in);
                return events;
            }
        }
        std::string_view nothing;
        FUZZ_CHECK(p.next(nothing).what == kind::none); // an empty read changes nothing
    }
    return events;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    static constexpr std::array<std::size_t, 8> limits{0, 1, 125, 126, 65535, 65536, 1 << 20, SIZE_MAX};
    const std::size_t max_message = limits[data[0] & 7];
    const std::size_t step = data[1];
    const std::string_view stream = fuzz::as_text(data + 2, size - 2);

    // Chunk sizes between 1 and step + 1, varying from one read to the next (all 1 when step is 0).
    std::vector<std::size_t> sizes;
    for (std::size_t i = 0; i < 16; ++i)
        sizes.push_back(1 + (step + i * 7) % (step + 1));

    const auto whole = parse(max_message, stream, {stream.size() + 1});
    const auto chunked = parse(max_message, stream, sizes);
    FUZZ_CHECK(whole == chunked);
    return 0;
}
