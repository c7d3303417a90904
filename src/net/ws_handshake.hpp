// The server side of the websocket opening handshake (RFC 6455 section 4.2) as a pure function: the
// upgrade request in, the bytes to answer with out. eelchat negotiates no extension and no subprotocol.
#pragma once

#include "net/http.hpp"

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

} // namespace eelchat::net
