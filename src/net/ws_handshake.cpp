#include "net/ws_handshake.hpp"

#include <boost/beast/websocket/rfc6455.hpp>

#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <stdexcept>

namespace eelchat::net {

namespace {

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

} // namespace eelchat::net
