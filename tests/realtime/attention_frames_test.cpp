// The attention stream's frames and what a page may say on it (realtime/attention_frames.hpp).
#include "realtime/attention_frames.hpp"

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

using namespace eelchat;
using realtime::stream_request;

namespace {

boost::json::value payload(const net::ws_frame& f) {
    // A server frame: 2 header bytes for a short text, 4 up to 64 KiB.
    const std::string& bytes = *f;
    const std::size_t at = (static_cast<unsigned char>(bytes[1]) & 0x7f) == 126 ? 4 : 2;
    return boost::json::parse(std::string_view(bytes).substr(at));
}

} // namespace

TEST_CASE("attention frames: new messages name author, mentions and replies, nothing else", "[unit][attention]") {
    db::event_row posted;
    posted.seq = 7;
    posted.message = db::message_row{};
    posted.message->membership_id = "m-1";
    posted.message->mentions = {{"m-2", "Bob"}};
    db::event_row edited = posted;
    edited.seq = 8;
    edited.kind = db::event_kind::edited;
    db::event_row reply = posted;
    reply.seq = 9;
    reply.message->parent_id = "p";
    reply.message->mentions.clear();
    reply.message->mention_channel = true;
    auto f = realtime::new_messages_frame("c-1", {posted, edited, reply});
    REQUIRE(f);
    CHECK(payload(*f) == boost::json::parse(R"({"t":"m","c":"c-1","i":[[7,"m-1",["m-2"],false,false],[9,"m-1",[],true,true]]})"));
    CHECK_FALSE(realtime::new_messages_frame("c-1", {edited}));
    CHECK(payload(realtime::read_frame({"c-1", 12, 10, 2, 1})) ==
          boost::json::parse(R"({"t":"r","c":"c-1","s":10,"l":12,"n":2,"m":1})"));
    CHECK(payload(realtime::typing_frame("c", "m", "Ann \"A\" <b>")) ==
          boost::json::parse(R"({"t":"t","c":"c","u":"m","n":"Ann \"A\" <b>"})"));
}

TEST_CASE("attention requests: read, typing and visible parse, anything else is unknown", "[unit][attention]") {
    const std::string id = "0b7e8f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
    auto r = realtime::parse_stream_request(R"({"t":"read","c":")" + id + R"(","s":42})");
    CHECK(r.what == stream_request::kind::read);
    CHECK(r.channel_id == id);
    CHECK(r.seq == 42);
    CHECK(realtime::parse_stream_request(R"({"t":"typing","c":")" + id + "\"}").what == stream_request::kind::typing);
    auto v = realtime::parse_stream_request(R"({"t":"visible","v":true})");
    CHECK(v.what == stream_request::kind::visible);
    CHECK(v.visible);
    for (const char* bad : {"", "not json", "[]", R"({"t":"read","c":"x","s":1})", R"({"t":"read","c":"0b7e8f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b","s":-1})",
                            R"({"t":"typing"})", R"({"t":"visible","v":"yes"})", R"({"t":"shout"})"}) {
        INFO(bad);
        CHECK(realtime::parse_stream_request(bad).what == stream_request::kind::unknown);
    }
}
