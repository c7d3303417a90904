// RFC 6455 framing without sockets: the encoder's header at each length boundary, the client-frame
// parser on masked, fragmented and broken input, the handshake answer and the writer's frame queue.
#include "net/ws_frame.hpp"
#include "net/ws_frame_queue.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

using namespace eelchat;
using net::ws_client_event;
using net::ws_opcode;
using kind = ws_client_event::kind;

namespace {

// A client frame: masked with a fixed key (unless `masked` is false), FIN as asked.
std::string client_frame(ws_opcode op, std::string_view payload, bool fin = true, bool masked = true) {
    std::string f;
    f.push_back(static_cast<char>((fin ? 0x80 : 0) | static_cast<int>(op)));
    const char mask_bit = masked ? char(0x80) : 0;
    if (payload.size() <= 125) {
        f.push_back(static_cast<char>(mask_bit | payload.size()));
    } else if (payload.size() <= 0xffff) {
        f.push_back(static_cast<char>(mask_bit | 126));
        f.push_back(static_cast<char>(payload.size() >> 8));
        f.push_back(static_cast<char>(payload.size() & 0xff));
    } else {
        f.push_back(static_cast<char>(mask_bit | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            f.push_back(static_cast<char>((std::uint64_t(payload.size()) >> shift) & 0xff));
    }
    const std::array<char, 4> key{0x12, 0x34, 0x56, 0x78};
    if (masked) f.append(key.data(), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        f.push_back(masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i]);
    return f;
}

// Everything the parser reports for `bytes`, fed `chunk` bytes at a time.
std::vector<ws_client_event> parse_all(net::ws_frame_parser& p, const std::string& bytes, std::size_t chunk,
                                       std::vector<std::string>* payloads = nullptr) {
    std::vector<ws_client_event> out;
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
        std::string_view in = std::string_view(bytes).substr(at, chunk);
        while (!in.empty()) {
            auto e = p.next(in);
            if (e.what == kind::none) continue;
            if (payloads) payloads->emplace_back(e.payload);
            out.push_back(e);
            if (e.what == kind::error) return out;
        }
    }
    return out;
}

} // namespace

TEST_CASE("ws frames: the header grows at 126 and 65536 bytes of payload", "[ws][unit]") {
    CHECK(net::ws_header_size(0) == 2);
    CHECK(net::ws_header_size(125) == 2);
    CHECK(net::ws_header_size(126) == 4);
    CHECK(net::ws_header_size(65535) == 4);
    CHECK(net::ws_header_size(65536) == 10);
    for (std::size_t n :
         {std::size_t(0), std::size_t(125), std::size_t(126), std::size_t(65535), std::size_t(65536)}) {
        const std::string payload(n, 'p');
        const std::string f = net::encode_ws_frame(ws_opcode::text, payload);
        CHECK(f.size() == net::ws_header_size(n) + n);
        CHECK(std::uint8_t(f[0]) == 0x81);       // FIN, text
        CHECK((std::uint8_t(f[1]) & 0x80) == 0); // a server never masks
        CHECK(f.substr(net::ws_header_size(n)) == payload);
    }
    const std::string f126 = net::encode_ws_frame(ws_opcode::text, std::string(126, 'x'));
    CHECK(std::uint8_t(f126[1]) == 126);
    CHECK(std::uint8_t(f126[2]) == 0);
    CHECK(std::uint8_t(f126[3]) == 126);
    const std::string f65536 = net::encode_ws_frame(ws_opcode::binary, std::string(65536, 'x'));
    CHECK(std::uint8_t(f65536[0]) == 0x82);
    CHECK(std::uint8_t(f65536[1]) == 127);
    CHECK(f65536.substr(2, 8) == std::string("\0\0\0\0\0\1\0\0", 8));
}

TEST_CASE("ws frames: a close frame carries its code and reason", "[ws][unit]") {
    namespace websocket = boost::beast::websocket;
    auto f =
        net::make_close_frame(websocket::close_reason(websocket::close_code::try_again_later, "too slow"));
    CHECK(*f == std::string("\x88\x0a\x03\xf5too slow", 12));
    CHECK(*net::make_close_frame(websocket::close_reason()) == std::string("\x88\x00", 2));
    // The longest reason Beast's close_reason holds fills a control frame exactly.
    const websocket::close_reason longest(websocket::close_code::normal, std::string(123, 'r'));
    CHECK(net::make_close_frame(longest)->size() == 2 + 125);
}

TEST_CASE("ws frames: masked client messages are skipped, pings and the close reported", "[ws][unit]") {
    const std::string bytes =
        client_frame(ws_opcode::text, "hello") + client_frame(ws_opcode::ping, "are you there") +
        client_frame(ws_opcode::binary, std::string(300, 'b')) + client_frame(ws_opcode::pong, "") +
        client_frame(ws_opcode::close, std::string("\x03\xe8"
                                                   "bye",
                                                   5));
    // Any split of the stream gives the same events: whole, byte by byte, in sevens.
    for (std::size_t chunk : {bytes.size(), std::size_t(1), std::size_t(7)}) {
        net::ws_frame_parser p(1024);
        std::vector<std::string> payloads;
        auto events = parse_all(p, bytes, chunk, &payloads);
        REQUIRE(events.size() == 3);
        CHECK(events[0].what == kind::ping);
        CHECK(payloads[0] == "are you there");
        CHECK(events[1].what == kind::pong);
        CHECK(events[2].what == kind::close);
        CHECK(events[2].code == 1000);
        CHECK(payloads[2] == "bye");
    }
}

TEST_CASE("ws frames: a ping between the fragments of a message is answered in place", "[ws][unit]") {
    const std::string bytes =
        client_frame(ws_opcode::text, "frag", false) + client_frame(ws_opcode::ping, "p1") +
        client_frame(ws_opcode::continuation, "ment", false) +
        client_frame(ws_opcode::continuation, "ed", true) + client_frame(ws_opcode::text, "next message");
    net::ws_frame_parser p(1024);
    std::vector<std::string> payloads;
    auto events = parse_all(p, bytes, 3, &payloads);
    REQUIRE(events.size() == 1);
    CHECK(events[0].what == kind::ping);
    CHECK(payloads[0] == "p1");
}

TEST_CASE("ws frames: with keep_messages each whole message is reported unmasked, fragments joined",
          "[ws][unit]") {
    const std::string bytes =
        client_frame(ws_opcode::text, "frag", false) + client_frame(ws_opcode::ping, "p1") +
        client_frame(ws_opcode::continuation, "ment", false) +
        client_frame(ws_opcode::continuation, "ed", true) + client_frame(ws_opcode::text, "") +
        client_frame(ws_opcode::text, "{\"t\":\"read\"}");
    for (std::size_t chunk : {bytes.size(), std::size_t(1), std::size_t(5)}) {
        net::ws_frame_parser p(1024, true);
        std::vector<std::string> payloads;
        auto events = parse_all(p, bytes, chunk, &payloads);
        REQUIRE(events.size() == 4);
        CHECK(events[0].what == kind::ping);
        CHECK(events[1].what == kind::message);
        CHECK(payloads[1] == "fragmented");
        CHECK(payloads[2] == "");
        CHECK(payloads[3] == "{\"t\":\"read\"}");
    }
    net::ws_frame_parser small(8, true);
    auto over = parse_all(small, client_frame(ws_opcode::text, "123456789"), 100);
    REQUIRE(over.size() == 1);
    CHECK(over[0].what == kind::error);
}

TEST_CASE("ws frames: a message over the limit fails with 1009, also when fragmented", "[ws][unit]") {
    {
        net::ws_frame_parser p(1024);
        auto events = parse_all(p,
                                client_frame(ws_opcode::text, std::string(1024, 'x')) +
                                    client_frame(ws_opcode::text, std::string(1025, 'x')),
                                4096);
        REQUIRE(events.size() == 1);
        CHECK(events[0].what == kind::error);
        CHECK(events[0].code == 1009);
    }
    {
        net::ws_frame_parser p(1024);
        auto events = parse_all(p,
                                client_frame(ws_opcode::text, std::string(600, 'x'), false) +
                                    client_frame(ws_opcode::continuation, std::string(600, 'x')),
                                4096);
        REQUIRE(events.size() == 1);
        CHECK(events[0].code == 1009);
    }
    // A 64-bit length is refused before a byte of its payload arrives.
    net::ws_frame_parser p(1024);
    std::string huge = client_frame(ws_opcode::binary, std::string(70000, 'x')).substr(0, 14);
    auto events = parse_all(p, huge, 14);
    REQUIRE(events.size() == 1);
    CHECK(events[0].code == 1009);
}

TEST_CASE("ws frames: protocol violations fail with 1002 and the parser stays failed", "[ws][unit]") {
    std::string unmasked = client_frame(ws_opcode::text, "hi", true, false);
    std::string rsv = client_frame(ws_opcode::text, "hi");
    rsv[0] = static_cast<char>(rsv[0] | 0x40);
    std::string reserved_opcode = client_frame(static_cast<ws_opcode>(3), "hi");
    std::string fragmented_ping = client_frame(ws_opcode::ping, "p", false);
    std::string long_ping = client_frame(ws_opcode::ping, std::string(126, 'p'));
    std::string lone_continuation = client_frame(ws_opcode::continuation, "x");
    std::string interleaved = client_frame(ws_opcode::text, "a", false) + client_frame(ws_opcode::text, "b");
    std::string one_byte_close = client_frame(ws_opcode::close, "\x03");
    std::string reserved_code = client_frame(ws_opcode::close, std::string("\x03\xed", 2)); // 1005
    std::string long_form_small = client_frame(ws_opcode::text, std::string(200, 'x'));
    long_form_small[1] = static_cast<char>(0x80 | 126);
    long_form_small[2] = 0;
    long_form_small[3] = 5; // 5 bytes in the 16-bit form: not the minimal encoding
    for (const auto& bytes : {unmasked, rsv, reserved_opcode, fragmented_ping, long_ping, lone_continuation,
                              interleaved, one_byte_close, reserved_code, long_form_small}) {
        net::ws_frame_parser p(1 << 20);
        auto events = parse_all(p, bytes, 5);
        REQUIRE(events.size() == 1);
        CHECK(events[0].what == kind::error);
        CHECK(events[0].code == 1002);
        std::string_view more = "\x89\x80\0\0\0\0";
        CHECK(p.next(more).what == kind::error);
    }
}

TEST_CASE("ws handshake: the accept key of RFC 6455's example, and refusals", "[ws][unit]") {
    CHECK(net::ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    net::http_request req(net::http::verb::get, "/ws", 11);
    req.set(net::http::field::host, "localhost");
    req.set(net::http::field::upgrade, "websocket");
    req.set(net::http::field::connection, "keep-alive, Upgrade");
    req.set(net::http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    req.set(net::http::field::sec_websocket_version, "13");
    auto ok = net::answer_ws_upgrade(req);
    CHECK(ok.accepted);
    CHECK(ok.bytes.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
    CHECK(ok.bytes.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
    CHECK(ok.bytes.ends_with("\r\n\r\n"));

    auto old_version = req;
    old_version.set(net::http::field::sec_websocket_version, "8");
    auto r426 = net::answer_ws_upgrade(old_version);
    CHECK_FALSE(r426.accepted);
    CHECK(r426.bytes.starts_with("HTTP/1.1 426 "));
    CHECK(r426.bytes.find("Sec-WebSocket-Version: 13\r\n") != std::string::npos);

    auto no_key = req;
    no_key.erase(net::http::field::sec_websocket_key);
    CHECK(net::answer_ws_upgrade(no_key).bytes.starts_with("HTTP/1.1 400 "));
    net::http_request plain(net::http::verb::get, "/ws", 11);
    CHECK(net::answer_ws_upgrade(plain).bytes.starts_with("HTTP/1.1 400 "));
}

TEST_CASE("ws frame queue: gather lists pending bytes from a part-written frame, consume drops them",
          "[ws][unit]") {
    net::ws_frame_queue q;
    for (int i = 0; i < 20; ++i) // past the first capacity: the ring grows with frames in it
        q.push_back(std::make_shared<const std::string>(std::string(10, static_cast<char>('a' + i))));
    std::array<boost::asio::const_buffer, 4> bufs;
    std::size_t bytes = 0;
    CHECK(q.gather(3, bufs, 1 << 20, bytes) == 4); // limited by the buffers
    CHECK(bytes == 7 + 30);
    CHECK(bufs[0].size() == 7);
    CHECK(*static_cast<const char*>(bufs[0].data()) == 'a');
    CHECK(q.gather(0, bufs, 15, bytes) == 2); // stops after the frame that reaches the byte cap
    // 28 bytes from offset 3: the 7 left of the first frame, all of the second and third, 1 of the fourth.
    const std::size_t offset = q.consume(3, 28);
    CHECK(offset == 1);
    CHECK(q.size() == 17);
    CHECK((*q[0])[0] == 'd');
    q.truncate(2);
    CHECK(q.size() == 2);
    CHECK(q.consume(offset, 19) == 0);
    CHECK(q.empty());
}
