// Fuzz target: net::answer_ws_upgrade, the server's answer to a WebSocket opening handshake.
//
// Input: a raw HTTP/1.1 request. Beast's request_parser reads it with the server's header and body limits
// (net/server.hpp); what parses is answered. The answer must itself be a well-formed HTTP response that
// carries only the headers the server means to send (nothing from the request can inject one): 101 only
// for an upgrade with version 13 and a key, with the right Sec-WebSocket-Accept; 426 for another version;
// 400 otherwise.
#include "check.hpp"

#include "net/ws_frame.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <string>

namespace {

namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;

constexpr std::uint32_t header_limit = 16 * 1024; // net::server_limits' defaults
constexpr std::uint64_t body_limit = 1024 * 1024;

// Feeds all of `bytes` to `parser` as if the peer then closed the connection; true when a complete
// message came out and nothing was left over.
template <class Parser> bool parse_all(Parser& parser, std::string_view bytes, bool allow_rest) {
    boost::system::error_code ec;
    while (!bytes.empty() && !parser.is_done()) {
        const std::size_t used = parser.put(boost::asio::const_buffer(bytes.data(), bytes.size()), ec);
        if (ec == http::error::need_more) break;
        if (ec) return false;
        bytes.remove_prefix(used);
    }
    if (!parser.is_done()) {
        if (!parser.got_some()) return false; // closed before a byte: no message at all
        parser.put_eof(ec);
        if (ec || !parser.is_done()) return false;
    }
    return allow_rest || bytes.empty();
}

void check_reply(const eelchat::net::http_request& req, const eelchat::net::ws_handshake_reply& reply) {
    const std::string_view bytes = reply.bytes;
    FUZZ_CHECK(bytes.starts_with("HTTP/1.1 "));
    FUZZ_CHECK(reply.accepted == bytes.starts_with("HTTP/1.1 101 "));

    http::response_parser<http::string_body> parser;
    parser.eager(true);
    FUZZ_CHECK(parse_all(parser, bytes, false));
    const auto& res = parser.get();
    for (const auto& field : res) {
        const auto name = field.name();
        FUZZ_CHECK(name == http::field::server || name == http::field::connection ||
                   name == http::field::upgrade || name == http::field::sec_websocket_accept ||
                   name == http::field::sec_websocket_version || name == http::field::content_type ||
                   name == http::field::content_length);
    }

    const bool upgrade = websocket::is_upgrade(req);
    const bool version_13 = req[http::field::sec_websocket_version] == "13";
    const std::string_view key = req[http::field::sec_websocket_key];
    switch (res.result_int()) {
    case 101:
        FUZZ_CHECK(upgrade && version_13);
        FUZZ_CHECK(key.size() == 24 && key.ends_with("=="));
        FUZZ_CHECK(res[http::field::sec_websocket_accept] == eelchat::net::ws_accept_key(key));
        FUZZ_CHECK(res.body().empty());
        break;
    case 426:
        FUZZ_CHECK(upgrade && !version_13);
        FUZZ_CHECK(res[http::field::sec_websocket_version] == "13");
        break;
    case 400:
        FUZZ_CHECK(!upgrade || version_13);
        break;
    default:
        FUZZ_CHECK(false); // no other status
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(body_limit);
    parser.eager(true);
    if (!parse_all(parser, fuzz::as_text(data, size), true)) return 0;
    const auto& req = parser.get();
    check_reply(req, eelchat::net::answer_ws_upgrade(req));
    return 0;
}
