#include "ws_frames.hpp"

namespace eelbench {

std::optional<ws_frame_header> parse_frame_header(std::string_view d) {
    if (d.size() < 2) return std::nullopt;
    const auto b0 = static_cast<unsigned char>(d[0]);
    const auto b1 = static_cast<unsigned char>(d[1]);
    ws_frame_header h;
    h.fin = (b0 & 0x80) != 0;
    h.opcode = b0 & 0x0f;
    h.masked = (b1 & 0x80) != 0;
    std::size_t at = 2;
    const unsigned len7 = b1 & 0x7f;
    if (len7 == 126) {
        if (d.size() < 4) return std::nullopt;
        h.payload = static_cast<std::uint64_t>(static_cast<unsigned char>(d[2])) << 8 |
                    static_cast<unsigned char>(d[3]);
        at = 4;
    } else if (len7 == 127) {
        if (d.size() < 10) return std::nullopt;
        for (std::size_t i = 2; i < 10; ++i)
            h.payload = h.payload << 8 | static_cast<unsigned char>(d[i]);
        at = 10;
    } else {
        h.payload = len7;
    }
    if (h.masked) at += 4;
    if (d.size() < at) return std::nullopt;
    h.header = at;
    return h;
}

std::size_t ws_frame_reader::walk(std::string_view data, ws_frame_events& ev) {
    std::size_t pos = 0;
    while (pos < data.size()) {
        auto h = parse_frame_header(data.substr(pos));
        if (!h) break;
        if (h->masked) return std::string_view::npos; // servers never mask
        if (data.size() - pos - h->header < h->payload) break;
        const std::string_view payload = data.substr(pos + h->header, static_cast<std::size_t>(h->payload));
        pos += h->header + static_cast<std::size_t>(h->payload);
        switch (h->opcode) {
        case 0x1:
        case 0x2:
            if (in_fragments_) return std::string_view::npos;
            if (h->fin) {
                ev.on_message(payload);
            } else {
                fragments_.assign(payload);
                in_fragments_ = true;
            }
            break;
        case 0x0:
            if (!in_fragments_) return std::string_view::npos;
            fragments_.append(payload);
            if (h->fin) {
                in_fragments_ = false;
                ev.on_message(fragments_);
                fragments_.clear();
            }
            break;
        case 0x8: {
            std::uint16_t code = 1005; // no status
            if (payload.size() >= 2)
                code = static_cast<std::uint16_t>(static_cast<unsigned char>(payload[0]) << 8 |
                                                  static_cast<unsigned char>(payload[1]));
            ev.on_close(code);
            return std::string_view::npos;
        }
        case 0x9:
            if (payload.size() > 125) return std::string_view::npos;
            ev.on_ping(payload);
            break;
        case 0xA:
            break;
        default:
            return std::string_view::npos;
        }
    }
    return pos;
}

bool ws_frame_reader::feed(std::string_view bytes, ws_frame_events& ev) {
    if (partial_.empty()) {
        const std::size_t used = walk(bytes, ev);
        if (used == std::string_view::npos) return false;
        partial_.assign(bytes.substr(used));
        return true;
    }
    partial_.append(bytes);
    const std::size_t used = walk(partial_, ev);
    if (used == std::string_view::npos) return false;
    partial_.erase(0, used);
    return true;
}

std::string client_control_frame(std::uint8_t opcode, std::string_view payload) {
    std::string f;
    f.push_back(static_cast<char>(0x80 | opcode));
    f.push_back(static_cast<char>(0x80 | (payload.size() & 0x7f)));
    f.append(4, '\0'); // masking key 0
    f.append(payload.substr(0, 125));
    return f;
}

} // namespace eelbench
