// A signed-in admin (alice) with a community and one channel open, posting through the compose form.
#pragma once

#include "support/app_server.hpp"
#include "support/browser.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <string>

namespace eelchat::test {

struct channel_fixture {
    app_server app;
    browser alice{app.port()};
    std::string community_url;
    std::string url;
    std::string channel_id;

    explicit channel_fixture(std::function<void(config&)> tweak = {}) : app(std::move(tweak)) {
        sign_in(alice, app.mail, "alice@example.com");
        community_url = location(alice.post("/community"));
        url = location(alice.post(community_url + "/channel"));
        channel_id = url.substr(url.rfind('/') + 1);
        alice.get(url);
    }

    // The compose form's client id on a page (or a post's answer, which carries the next one).
    static std::string client_id(const response& page) {
        static const std::regex re(R"re(name="client_id" value="([0-9a-f-]{36})")re");
        std::smatch m;
        REQUIRE(std::regex_search(page.body(), m, re));
        return m[1];
    }

    response post(const std::string& text, const std::string& cid) { return post_as(alice, text, cid); }

    // Posts `text` as `who` with a fresh client id from the channel page.
    response post_as(browser& who, const std::string& text) { return post_as(who, text, client_id(who.get(url))); }
    response post_as(browser& who, const std::string& text, const std::string& cid) {
        return who.post(url, {{"text", text}, {"client_id", cid}}, true, true);
    }
};

} // namespace eelchat::test
