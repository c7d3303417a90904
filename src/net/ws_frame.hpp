// RFC 6455 on the wire, as pure functions with no sockets: the server's answer to the opening handshake,
// and framing in both directions. eelchat negotiates no extension and no subprotocol.
//
// Server-to-client frames are never masked, so a message is framed once and the very same bytes go to
// every subscriber: a ws_frame is header and payload in one immutable shared buffer, ready for the socket.
// Client-to-server frames are always masked; eelchat's clients have nothing to say on the socket (they
// post over HTTP), so the parser discards data payloads as they stream past, keeping no buffer of its own
// beyond a control frame's 125 bytes, and reports only what the session must act on: pings, pongs, the
// close frame and protocol violations.
#pragma once

#include "net/http.hpp"

#include <boost/beast/websocket/rfc6455.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace eelchat::net {

struct ws_handshake_reply {
    bool accepted = false; // 101: the connection is a websocket once `bytes` are written
    std::string bytes;     // the whole HTTP response
};

// The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key: base64(SHA-1(key + RFC GUID)).
std::string ws_accept_key(std::string_view client_key);

// 101 Switching Protocols for a valid upgrade request; 426 (naming version 13) for another protocol
// version; 400 for anything else (not an upgrade, no usable key).
ws_handshake_reply answer_ws_upgrade(const http_request& req);

enum class ws_opcode : std::uint8_t {
    continuation = 0,
    text = 1,
    binary = 2,
    close = 8,
    ping = 9,
    pong = 10
};

// A complete server-to-client frame (header and payload). Shared, never copied, never changed.
using ws_frame = std::shared_ptr<const std::string>;

// The header length of an unmasked frame carrying `payload` bytes: 2, 4 or 10.
std::size_t ws_header_size(std::size_t payload) noexcept;

// Appends the header of a final, unmasked frame to `out`.
void append_ws_header(std::string& out, ws_opcode op, std::size_t payload);

// One final, unmasked frame.
std::string encode_ws_frame(ws_opcode op, std::string_view payload);

// A text message framed for the socket, to be shared by every subscriber.
ws_frame make_text_frame(std::string_view text);

// The close frame for `reason`: empty for close_code::none, else the code and the reason (cut to the
// 123 bytes a control frame has room for).
ws_frame make_close_frame(const boost::beast::websocket::close_reason& reason);

// Whether a close code may appear in a close frame on the wire (RFC 6455 section 7.4).
bool valid_close_code(std::uint16_t code) noexcept;

// What the parser found in the client's byte stream.
struct ws_client_event {
    enum class kind {
        none,  // the input ran out before anything to report
        ping,  // payload: the application data to echo in the pong
        pong,  // an answer to our keep-alive ping
        close, // code (0: the frame had no code) and reason
        error,   // the client broke the protocol: code is the close code to fail the connection with
        message, // a whole data message (only with keep_messages): payload is its unmasked bytes
    };
    kind what = kind::none;
    std::uint16_t code = 0;
    std::string_view payload; // valid until the next call to next()
};

// An incremental parser of client frames: feed it whatever the socket returned, in any pieces.
class ws_frame_parser {
public:
    // Data messages (all their fragments together) longer than `max_message` fail with 1009. They are
    // skipped unread unless `keep_messages`: then each whole message is reported (kind::message), and the
    // parser holds at most max_message bytes of it meanwhile.
    explicit ws_frame_parser(std::size_t max_message, bool keep_messages = false)
        : max_message_(max_message), keep_messages_(keep_messages) {}

    // Consumes bytes from the front of `in` until a control frame is complete (returned), the client broke
    // the protocol (error; the parser is then spent and every later call reports the same error), or `in`
    // is exhausted (none).
    ws_client_event next(std::string_view& in);

private:
    ws_client_event fail(std::uint16_t code);
    ws_client_event start_frame(); // validates the header collected in header_
    ws_client_event finish_control();

    std::size_t max_message_;
    bool keep_messages_ = false;
    std::string message_; // the unmasked data message being collected (keep_messages_)
    std::uint64_t remaining_ = 0;    // payload bytes of the current frame still to come
    std::uint64_t message_size_ = 0; // data bytes of the current (possibly fragmented) message so far
    std::uint16_t error_ = 0;        // non-zero once the client broke the protocol
    std::uint8_t header_[14] = {};
    std::uint8_t header_have_ = 0;
    std::uint8_t mask_[4] = {};
    std::uint8_t mask_pos_ = 0;
    ws_opcode opcode_ = ws_opcode::continuation;
    bool in_payload_ = false; // the header is done; payload bytes follow
    bool in_message_ = false; // a fragmented data message awaits its continuation frames
    bool fin_ = false;
    std::string control_; // the unmasked payload of the control frame being read
};

} // namespace eelchat::net
