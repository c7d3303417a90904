// The unread-notifications email (mail/unread_digest.hpp): who wrote where, the text without its
// markdown, and a link that opens the channel at each message.
#include "mail/unread_digest.hpp"

#include <catch2/catch.hpp>

using namespace eelchat;

TEST_CASE("unread email: one line per message with its link, the subject names the one or counts",
          "[unit][mail]") {
    db::claimed_email e;
    e.email = "bob@example.com";
    e.ids = {1, 2, 3};
    db::email_item a;
    a.channel_title = "general";
    a.channel_kind = "public";
    a.community_id = "c1";
    a.channel_id = "h1";
    a.message_id = "m1";
    a.author_name = "Alice";
    a.text = "look at **this**,\n@**Bob**";
    e.items.push_back(a);
    auto one = mail::digest_message(e, "https://chat.example");
    CHECK(one.to == "bob@example.com");
    CHECK(one.subject == "Alice in #general on eelchat");
    CHECK(one.text.find("Alice in #general:\n  look at this, @Bob\n") != std::string::npos);
    CHECK(one.text.find("https://chat.example/community/c1/channel/h1?at=m1") != std::string::npos);

    db::email_item d = a;
    d.channel_kind = "direct";
    d.text = "hi";
    e.items.push_back(d);
    auto two = mail::digest_message(e, "https://chat.example");
    CHECK(two.subject == "2 unread messages for you on eelchat");
    CHECK(two.text.find("Alice in a direct message:\n  hi\n") != std::string::npos);
}
