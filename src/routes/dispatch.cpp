#include "routes/dispatch.hpp"

#include "routes/forms.hpp"
#include "routes/guards.hpp"
#include "routes/responses.hpp"
#include "routes/routes.hpp"
#include "routes/session.hpp"

namespace eelchat::routes {

namespace asio = boost::asio;

namespace {

// Browsers may run only our own scripts and styles: user text can never become code, and the htmx
// configuration in the layout forbids eval.
constexpr std::string_view content_security_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'";

// For POST and DELETE: parses the form, loads the session and checks its CSRF token. Returns the response
// to send instead when the request must not reach its handler. A JSON body (what a page script sends,
// such as a push subscription) is left to its handler; its token can only come in the X-CSRF-Token header.
// So is a streamed body (an upload), not yet read, whatever its type.
asio::awaitable<std::optional<net::http_response>> check_change(request_context& ctx, body_mode mode) {
    std::string_view type = ctx.req[http::field::content_type];
    const bool form_body =
        mode == body_mode::whole && (type.empty() || type.starts_with("application/x-www-form-urlencoded"));
    const bool json_body = type.starts_with("application/json");
    if (!form_body && !json_body && mode == body_mode::whole)
        co_return error_page(ctx.svc.pages, http::status::unsupported_media_type);
    // A JSON request gets an empty form, so that handlers of form posts find no fields in it.
    auto form = form_data::parse(form_body ? std::string_view(ctx.req.body()) : std::string_view());
    if (!form) co_return error_page(ctx.svc.pages, http::status::bad_request);
    ctx.form = std::make_shared<const form_data>(std::move(*form));
    auto session = co_await load_session(ctx);
    if (!session) co_return database_failure(ctx, session.error());
    if (!csrf_token_matches(ctx)) {
        ctx.svc.log.info("csrf_rejected", {{"id", ctx.info.id}, {"has_session", *session != nullptr}});
        co_return error_page(ctx.svc.pages, http::status::forbidden);
    }
    co_return std::nullopt;
}

} // namespace

asio::awaitable<net::http_response> dispatch(const router& r, request_context& ctx) {
    auto& req = ctx.req;
    std::string_view target = req.target();
    auto q = target.find('?');
    std::string_view path = target.substr(0, q);
    std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);

    auto m = r.match(req.method(), path);
    ctx.params = std::move(m.params);
    if (m.result == router::outcome::found) ctx.route = m.pattern;
    net::http_response res;
    switch (m.result) {
    case router::outcome::found:
        if (req.method() != http::verb::get && req.method() != http::verb::head) {
            // Every state change carries the session's CSRF token, checked here once for all routes.
            if (auto refusal = co_await check_change(ctx, m.body)) {
                res = std::move(*refusal);
                break;
            }
        }
        res = co_await (*m.target)(ctx);
        break;
    case router::outcome::method_not_allowed:
        res = error_page(ctx.svc.pages, http::status::method_not_allowed);
        res.set(http::field::allow, m.allow);
        break;
    case router::outcome::not_found:
        if (req.method() == http::verb::get || req.method() == http::verb::head) {
            if (auto asset = serve_asset(ctx, path, query)) {
                ctx.route = "static";
                res = std::move(*asset);
                break;
            }
        }
        res = error_page(ctx.svc.pages, http::status::not_found);
        break;
    }
    for (auto& cookie : ctx.set_cookies)
        res.insert(http::field::set_cookie, cookie);
    add_security_headers(res);
    // A stored file brings its own, stricter policy (routes/upload_routes.cpp).
    if (res.find("Content-Security-Policy") == res.end())
        res.set("Content-Security-Policy", content_security_policy);
    // Served over https: browsers should never try plain http for this host again (a year, renewed by
    // every visit).
    if (ctx.svc.cfg.base_url.starts_with("https://"))
        res.set(http::field::strict_transport_security, "max-age=31536000");
    co_return res;
}

net::http_response error_answer(render::page_renderer& pages, http::status status, unsigned version) {
    auto res = error_page(pages, status);
    res.version(version);
    add_security_headers(res);
    return res;
}

} // namespace eelchat::routes
