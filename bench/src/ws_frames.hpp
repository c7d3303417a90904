// Reading server-to-client websocket frames without a websocket library on the hot path. Server frames
// are never masked, so a frame is a 2 to 10 byte header and the payload as it is: the subscriber reads
// whatever the kernel has (many frames per system call when the server batches its writes) into its
// thread's buffer and walks the frames in place. Only an incomplete frame at the end is copied, to wait
// for the rest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eelbench {

struct ws_frame_header {
    bool fin = false;
    std::uint8_t opcode = 0; // 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong
    bool masked = false;
    std::uint64_t payload = 0;
    std::size_t header = 0; // bytes before the payload (masking key included)
};

// The header at the start of `data`, or nullopt when `data` does not yet hold all of it.
std::optional<ws_frame_header> parse_frame_header(std::string_view data);

// What a stream of frames holds, frame by frame.
class ws_frame_events {
public:
    virtual ~ws_frame_events() = default;
    virtual void on_message(std::string_view payload) = 0; // a whole text or binary message
    virtual void on_ping(std::string_view payload) = 0;
    virtual void on_close(std::uint16_t code) = 0;
};

// Reassembles messages across reads and fragments.
class ws_frame_reader {
public:
    // Feeds bytes just read; calls `ev` for each complete frame. Returns false after a close frame or a
    // protocol error (masked server frame, stray continuation, oversized control frame).
    bool feed(std::string_view bytes, ws_frame_events& ev);

private:
    // Walks complete frames at the start of `data`; returns how many bytes they took, or npos to stop.
    std::size_t walk(std::string_view data, ws_frame_events& ev);

    std::string partial_;   // an incomplete frame from the previous read
    std::string fragments_; // a fragmented message so far
    bool in_fragments_ = false;
};

// A masked client frame (masking key zero: the payload goes as it is) for a pong or a close.
std::string client_control_frame(std::uint8_t opcode, std::string_view payload);

} // namespace eelbench
