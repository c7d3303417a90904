#include "net/ws_frame.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

namespace eelchat::net {

namespace websocket = boost::beast::websocket;

namespace {

constexpr std::uint8_t fin_bit = 0x80;
constexpr std::uint8_t rsv_bits = 0x70;
constexpr std::uint8_t mask_bit = 0x80;
constexpr std::size_t max_control_payload = 125;

constexpr std::uint16_t protocol_error = websocket::close_code::protocol_error;
constexpr std::uint16_t too_big = websocket::close_code::too_big;

bool is_control(ws_opcode op) {
    return static_cast<std::uint8_t>(op) >= 8;
}

bool known_opcode(std::uint8_t op) {
    return op <= 2 || (op >= 8 && op <= 10);
}

// The full header length once its first two bytes are known.
std::size_t header_length(std::uint8_t second) {
    const std::uint8_t len = second & 0x7f;
    const std::size_t extended = len == 126 ? 2 : len == 127 ? 8 : 0;
    return 2 + extended + ((second & mask_bit) ? 4 : 0);
}

constexpr std::string_view ws_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string base64(const unsigned char* data, std::size_t n) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((n + 2) / 3 * 4);
    for (std::size_t i = 0; i < n; i += 3) {
        const unsigned v = (unsigned(data[i]) << 16) | (i + 1 < n ? unsigned(data[i + 1]) << 8 : 0u) |
                           (i + 2 < n ? unsigned(data[i + 2]) : 0u);
        out.push_back(alphabet[(v >> 18) & 63]);
        out.push_back(alphabet[(v >> 12) & 63]);
        out.push_back(i + 1 < n ? alphabet[(v >> 6) & 63] : '=');
        out.push_back(i + 2 < n ? alphabet[v & 63] : '=');
    }
    return out;
}

// A key is the base64 form of 16 bytes: 22 characters of the alphabet and "==".
bool plausible_key(std::string_view key) {
    if (key.size() != 24 || key.substr(22) != "==") return false;
    for (char c : key.substr(0, 22))
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return false;
    return true;
}

ws_handshake_reply refuse(std::string_view status, std::string_view extra_headers, std::string_view text) {
    ws_handshake_reply r;
    r.bytes.append("HTTP/1.1 ").append(status).append("\r\nServer: eelchat\r\nConnection: close\r\n");
    r.bytes.append(extra_headers);
    r.bytes.append("Content-Type: text/plain; charset=utf-8\r\nContent-Length: ");
    r.bytes.append(std::to_string(text.size())).append("\r\n\r\n").append(text);
    return r;
}

} // namespace

std::string ws_accept_key(std::string_view client_key) {
    std::string input(client_key);
    input.append(ws_guid);
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(input.data(), input.size(), digest.data(), &length, EVP_sha1(), nullptr) != 1)
        throw std::runtime_error("SHA-1 is unavailable");
    return base64(digest.data(), length);
}

ws_handshake_reply answer_ws_upgrade(const http_request& req) {
    if (!boost::beast::websocket::is_upgrade(req))
        return refuse("400 Bad Request", "", "This address is for WebSocket connections.\n");
    if (req[http::field::sec_websocket_version] != "13")
        return refuse("426 Upgrade Required", "Sec-WebSocket-Version: 13\r\n",
                      "WebSocket version 13 only.\n");
    const std::string_view key = req[http::field::sec_websocket_key];
    if (!plausible_key(key)) return refuse("400 Bad Request", "", "Bad Sec-WebSocket-Key.\n");
    ws_handshake_reply r;
    r.accepted = true;
    r.bytes = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Server: eelchat\r\nSec-WebSocket-Accept: ";
    r.bytes.append(ws_accept_key(key)).append("\r\n\r\n");
    return r;
}

std::size_t ws_header_size(std::size_t payload) noexcept {
    if (payload <= 125) return 2;
    if (payload <= 0xffff) return 4;
    return 10;
}

void append_ws_header(std::string& out, ws_opcode op, std::size_t payload) {
    out.push_back(static_cast<char>(fin_bit | static_cast<std::uint8_t>(op)));
    if (payload <= 125) {
        out.push_back(static_cast<char>(payload));
    } else if (payload <= 0xffff) {
        out.push_back(static_cast<char>(126));
        out.push_back(static_cast<char>(payload >> 8));
        out.push_back(static_cast<char>(payload & 0xff));
    } else {
        out.push_back(static_cast<char>(127));
        const auto n = static_cast<std::uint64_t>(payload);
        for (int shift = 56; shift >= 0; shift -= 8)
            out.push_back(static_cast<char>((n >> shift) & 0xff));
    }
}

std::string encode_ws_frame(ws_opcode op, std::string_view payload) {
    std::string out;
    out.reserve(ws_header_size(payload.size()) + payload.size());
    append_ws_header(out, op, payload.size());
    out.append(payload);
    return out;
}

ws_frame make_text_frame(std::string_view text) {
    return std::make_shared<const std::string>(encode_ws_frame(ws_opcode::text, text));
}

ws_frame make_close_frame(const websocket::close_reason& reason) {
    std::string payload;
    if (reason.code != websocket::close_code::none) {
        payload.push_back(static_cast<char>(reason.code >> 8));
        payload.push_back(static_cast<char>(reason.code & 0xff));
        std::string_view text(reason.reason.data(), reason.reason.size());
        payload.append(text.substr(0, max_control_payload - 2));
    }
    return std::make_shared<const std::string>(encode_ws_frame(ws_opcode::close, payload));
}

bool valid_close_code(std::uint16_t code) noexcept {
    if (code >= 3000 && code <= 4999) return true; // registered and private-use codes
    switch (code) {
    case 1000:
    case 1001:
    case 1002:
    case 1003:
    case 1007:
    case 1008:
    case 1009:
    case 1010:
    case 1011:
    case 1012:
    case 1013:
    case 1014:
        return true;
    default:
        return false; // 1004-1006 and 1015 are reserved for reports, never sent; the rest unassigned
    }
}

ws_client_event ws_frame_parser::fail(std::uint16_t code) {
    error_ = code;
    ws_client_event e;
    e.what = ws_client_event::kind::error;
    e.code = code;
    return e;
}

ws_client_event ws_frame_parser::start_frame() {
    const std::uint8_t first = header_[0], second = header_[1];
    if (first & rsv_bits) return fail(protocol_error);     // no extension was negotiated
    if (!(second & mask_bit)) return fail(protocol_error); // a client must mask every frame
    const std::uint8_t op = first & 0x0f;
    if (!known_opcode(op)) return fail(protocol_error);
    opcode_ = static_cast<ws_opcode>(op);
    fin_ = (first & fin_bit) != 0;

    std::uint64_t length = second & 0x7f;
    std::size_t at = 2;
    if (length == 126) {
        length = (std::uint64_t(header_[2]) << 8) | header_[3];
        if (length < 126) return fail(protocol_error); // not the minimal encoding
        at = 4;
    } else if (length == 127) {
        length = 0;
        for (std::size_t i = 0; i < 8; ++i)
            length = (length << 8) | header_[2 + i];
        if (length >> 63) return fail(protocol_error);
        if (length <= 0xffff) return fail(protocol_error);
        at = 10;
    }
    std::copy(header_ + at, header_ + at + 4, mask_);
    mask_pos_ = 0;

    if (is_control(opcode_)) {
        if (!fin_ || length > max_control_payload) return fail(protocol_error);
        control_.clear();
    } else {
        // A continuation continues something, and a new message waits until the last one ended.
        if (opcode_ == ws_opcode::continuation ? !in_message_ : in_message_) return fail(protocol_error);
        if (opcode_ != ws_opcode::continuation) {
            message_size_ = 0;
            message_.clear();
        }
        if (length > max_message_ - std::min<std::uint64_t>(message_size_, max_message_))
            return fail(too_big);
        message_size_ += length;
    }
    remaining_ = length;
    in_payload_ = true;
    return {};
}

ws_client_event ws_frame_parser::finish_control() {
    ws_client_event e;
    e.payload = control_;
    switch (opcode_) {
    case ws_opcode::ping:
        e.what = ws_client_event::kind::ping;
        return e;
    case ws_opcode::pong:
        e.what = ws_client_event::kind::pong;
        return e;
    default:
        break;
    }
    e.what = ws_client_event::kind::close;
    if (control_.size() == 1) return fail(protocol_error);
    if (control_.size() >= 2) {
        e.code = static_cast<std::uint16_t>((std::uint8_t(control_[0]) << 8) | std::uint8_t(control_[1]));
        if (!valid_close_code(e.code)) return fail(protocol_error);
        e.payload = std::string_view(control_).substr(2);
    }
    return e;
}

ws_client_event ws_frame_parser::next(std::string_view& in) {
    if (error_) return fail(error_);
    while (!in.empty()) {
        if (!in_payload_) {
            // Collect the header: two bytes say how long the rest of it is.
            const std::size_t need = header_have_ < 2 ? 2 : header_length(header_[1]);
            const std::size_t take = std::min(need - header_have_, in.size());
            std::copy(in.begin(), in.begin() + take, header_ + header_have_);
            header_have_ += static_cast<std::uint8_t>(take);
            in.remove_prefix(take);
            if (header_have_ < 2 || header_have_ < header_length(header_[1])) continue;
            header_have_ = 0;
            if (auto e = start_frame(); e.what == ws_client_event::kind::error) return e;
        } else {
            const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
            if (is_control(opcode_)) {
                for (std::size_t i = 0; i < take; ++i)
                    control_.push_back(static_cast<char>(in[i] ^ mask_[(mask_pos_ + i) & 3]));
                mask_pos_ = static_cast<std::uint8_t>((mask_pos_ + take) & 3);
            }
            else if (keep_messages_) {
                for (std::size_t i = 0; i < take; ++i)
                    message_.push_back(static_cast<char>(in[i] ^ mask_[(mask_pos_ + i) & 3]));
                mask_pos_ = static_cast<std::uint8_t>((mask_pos_ + take) & 3);
            }
            // Otherwise data payloads are nobody's business here: skipped without unmasking.
            in.remove_prefix(take);
            remaining_ -= take;
        }
        if (in_payload_ && remaining_ == 0) {
            in_payload_ = false;
            if (is_control(opcode_)) return finish_control();
            in_message_ = !fin_;
            if (fin_ && keep_messages_) {
                ws_client_event e;
                e.what = ws_client_event::kind::message;
                e.payload = message_;
                return e;
            }
        }
    }
    return {};
}

} // namespace eelchat::net
