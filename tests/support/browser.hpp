// A scripted browser for route tests: keeps the session and device cookies, finds the CSRF token in
// pages, and sends forms the way a browser (or htmx) would. Blocking: each request runs to completion.
#pragma once

#include "routes/forms.hpp"

#include "support/async.hpp"
#include "support/http_client.hpp"

#include <catch2/catch.hpp>

#include <regex>

namespace eelchat::test {

class browser {
public:
    explicit browser(std::uint16_t port) : port_(port) {}

    response get(const std::string& path, bool htmx = false) { return send(http::verb::get, path, "", htmx); }

    // A form post; the CSRF token of the last page seen is added unless `with_csrf` is false.
    response post(const std::string& path, std::vector<std::pair<std::string, std::string>> fields = {},
                  bool with_csrf = true, bool htmx = false) {
        if (with_csrf) fields.emplace_back("__anti-forgery-token", csrf_);
        std::string body;
        for (auto& [k, v] : fields)
            body += (body.empty() ? "" : "&") + routes::url_encode(k) + "=" + routes::url_encode(v);
        return send(http::verb::post, path, body, htmx);
    }

    // htmx's DELETE: no body, the token in the X-CSRF-Token header.
    response del(const std::string& path, bool with_csrf = true) {
        request_spec spec;
        spec.method = http::verb::delete_;
        spec.target = path;
        spec.headers.emplace_back("HX-Request", "true");
        if (with_csrf) spec.headers.emplace_back("X-CSRF-Token", csrf_);
        return run(std::move(spec));
    }

    response send(http::verb method, const std::string& path, std::string body, bool htmx) {
        request_spec spec;
        spec.method = method;
        spec.target = path;
        spec.body = std::move(body);
        if (method == http::verb::post)
            spec.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        if (htmx) spec.headers.emplace_back("HX-Request", "true");
        return run(std::move(spec));
    }

    response run(request_spec spec) {
        std::string cookies;
        if (!cookie_.empty()) cookies = "eelchat_session=" + cookie_;
        if (!device_.empty())
            cookies += (cookies.empty() ? "" : "; ") + std::string("eelchat_device=") + device_;
        if (!cookies.empty()) spec.headers.emplace_back("Cookie", cookies);
        for (const auto& h : extra_headers)
            spec.headers.push_back(h);
        boost::asio::io_context ctx;
        auto res = run_async(ctx, fetch(port_, std::move(spec)));
        for (auto it = res.find(http::field::set_cookie);
             it != res.end() && it->name() == http::field::set_cookie; ++it) {
            std::string_view v = it->value();
            std::string* jar = v.starts_with("eelchat_session=")  ? &cookie_
                               : v.starts_with("eelchat_device=") ? &device_
                                                                  : nullptr;
            if (!jar) continue;
            v.remove_prefix(v.find('=') + 1);
            *jar = std::string(v.substr(0, v.find(';')));
        }
        static const std::regex token(R"(name="__anti-forgery-token" value="([0-9a-f]{64})\")");
        std::smatch m;
        if (std::regex_search(res.body(), m, token)) csrf_ = m[1];
        return res;
    }

    const std::string& csrf() const { return csrf_; }
    const std::string& cookie() const { return cookie_; }
    void forget_cookie() { cookie_.clear(); }
    const std::string& device_cookie() const { return device_; }
    void forget_device() { device_.clear(); }

    // Sent with every request (e.g. X-Forwarded-For, to play a client behind a trusted proxy).
    std::vector<std::pair<std::string, std::string>> extra_headers;

private:
    std::uint16_t port_;
    std::string cookie_;
    std::string device_;
    std::string csrf_;
};

// The Location header of a redirect.
inline std::string location(const response& r) {
    return std::string(r[http::field::location]);
}

// Signs `b` in as `email` through the code flow, reading the code from the mailbox.
template <class Mailbox> void sign_in(browser& b, Mailbox& mail, const std::string& email) {
    b.get("/signin");
    auto sent = b.post("/auth/send-code", {{"email", email}});
    REQUIRE(sent.result() == http::status::see_other);
    auto code = mail.last_match(email, R"(\b(\d{6})\b)");
    auto in = b.post("/auth/verify-code", {{"email", email}, {"code", code}});
    REQUIRE(in.result() == http::status::see_other);
    REQUIRE(in[http::field::location] == "/app");
    b.get("/app"); // picks up the signed-in session's CSRF token
}

} // namespace eelchat::test
