// What a push notification says (push/payload.hpp) and which subscriptions the server accepts
// (push/subscription.hpp).
#include "core/base64url.hpp"
#include "push/payload.hpp"
#include "push/subscription.hpp"

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

using namespace eelchat;

namespace {

db::claimed_notification note(std::string kind, std::string text) {
    db::claimed_notification n;
    n.community_id = "c1";
    n.channel_id = "h1";
    n.message_id = "m1";
    n.channel_kind = std::move(kind);
    n.channel_title = "general";
    n.author_name = "Alice";
    n.text = std::move(text);
    return n;
}

// A real P-256 point: the RFC 8291 example's user agent key.
const std::string ua_public =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const std::string ua_auth = "BTBZMqHH6r4Tts7J_aSIgg";

std::string subscription_json(std::string endpoint, std::string p256dh = ua_public,
                              std::string auth = ua_auth) {
    return R"({"endpoint":")" + endpoint + R"(","expirationTime":null,"keys":{"p256dh":")" + p256dh +
           R"(","auth":")" + auth + R"("}})";
}

} // namespace

TEST_CASE("push payload: who and where, the start of the text, the message's address", "[unit][push]") {
    auto o = boost::json::parse(push::push_payload(note("public", "line one\nline two"))).as_object();
    CHECK(o.at("title").as_string() == "Alice in #general");
    CHECK(o.at("body").as_string() == "line one line two");
    CHECK(o.at("url").as_string() == "/community/c1/channel/h1?at=m1");
    CHECK(o.at("tag").as_string() == "channel-h1");
    auto dm = boost::json::parse(push::push_payload(note("direct", "hi"))).as_object();
    CHECK(dm.at("title").as_string() == "Alice");
    // Markdown is shown as the text it formats.
    auto md =
        boost::json::parse(push::push_payload(note("public", "**look** at @**Bob** `x < 1`"))).as_object();
    CHECK(md.at("body").as_string() == "look at @Bob x < 1");

    // Long text is cut on a character, with an ellipsis; invalid bytes are dropped.
    std::string long_text(500, 'x');
    auto cut = boost::json::parse(push::push_payload(note("public", long_text))).as_object();
    CHECK(cut.at("body").as_string() == std::string(push::body_length, 'x') + "\u2026");
    CHECK(push::excerpt("\xc3\xa9t\xc3\xa9", 2) == "\xc3\xa9t\u2026");
    CHECK(push::excerpt("a\xff"
                        "b",
                        5) == "ab");
}

TEST_CASE("push subscriptions: https endpoints with a P-256 key and a 16-byte secret", "[unit][push]") {
    auto good = push::parse_subscription(subscription_json("https://push.example.net/send/abc"), false);
    REQUIRE(good.has_value());
    CHECK(good->endpoint == "https://push.example.net/send/abc");
    CHECK(push::audience_of(good->where) == "https://push.example.net");
    CHECK(good->p256dh == ua_public);
    auto padded = push::parse_subscription(
        subscription_json("https://p.example:8443/x", ua_public, ua_auth + "=="), false);
    REQUIRE(padded.has_value());
    CHECK(padded->auth == ua_auth);
    CHECK(push::audience_of(padded->where) == "https://p.example:8443");

    CHECK_FALSE(push::parse_subscription("not json", false).has_value());
    CHECK_FALSE(push::parse_subscription(R"({"keys":{}})", false).has_value());
    CHECK_FALSE(push::parse_subscription(subscription_json("http://push.example.net/x"), false).has_value());
    CHECK(push::parse_subscription(subscription_json("http://127.0.0.1:9/x"), true).has_value());
    CHECK_FALSE(push::parse_subscription(subscription_json("ftp://push.example.net/x"), true).has_value());
    CHECK_FALSE(push::parse_subscription(
                    subscription_json("https://push.example.net/" + std::string(2100, 'a')), false)
                    .has_value());
    // Keys: not on the curve, wrong length, a secret of 15 bytes.
    std::string off_curve = ua_public;
    off_curve[10] = off_curve[10] == 'A' ? 'B' : 'A';
    CHECK_FALSE(
        push::parse_subscription(subscription_json("https://p.example/x", off_curve), false).has_value());
    CHECK_FALSE(
        push::parse_subscription(subscription_json("https://p.example/x", "BCVx"), false).has_value());
    CHECK_FALSE(push::parse_subscription(subscription_json("https://p.example/x", ua_public,
                                                           text::base64url_encode(std::string(15, 'a'))),
                                         false)
                    .has_value());
    auto why = push::parse_subscription(subscription_json("http://push.example.net/x"), false);
    REQUIRE_FALSE(why.has_value());
    CHECK(why.error() == "The endpoint must be an https URL.");
}
