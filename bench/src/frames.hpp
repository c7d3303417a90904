// What eelbench writes into a message and reads back out of a pushed frame. A bench message's text starts
// with a marker, "eb:<post>:<channel>:<sent ns>:", padded to the message size; the server renders it into
// HTML (realtime/frames.hpp: the event cursor <input id="event-cursor" value="N">, then message.mustache:
// data-seq="N" ... <p>text</p>). Parsing looks for fixed substrings only, no regular expression and no
// allocation, so a frame costs two searches.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eelbench {

struct bench_mark {
    std::uint64_t post = 0;    // the poster's running number, unique in the run
    std::uint32_t channel = 0; // the bench's index of the channel it was posted to
    std::int64_t sent_ns = 0;  // steady clock (CLOCK_MONOTONIC) when the POST was sent
};

struct parsed_frame {
    std::int64_t seq = -1; // the event's number in its channel's history; -1 when the frame has none
    std::optional<bench_mark> mark;
};

// The message text for a post: the marker, then 'x' up to `size` characters (never shorter than the marker).
std::string make_text(const bench_mark& m, std::size_t size);

// Finds the marker anywhere in `s` (a frame, or the raw payload of a loopback baseline frame).
std::optional<bench_mark> find_mark(std::string_view s);

// The number of the next data-seq="N" attribute at or after `pos` (which it moves past the number):
// nullopt when there is none, -1 when the attribute holds no number.
std::optional<std::int64_t> read_seq_attr(std::string_view s, std::size_t& pos);

// The event number and the marker of an eelchat event frame.
parsed_frame parse_frame(std::string_view frame);

// Monotonic nanoseconds, the clock every timestamp in the bench uses (shared by processes on one machine).
std::int64_t now_ns();

} // namespace eelbench
