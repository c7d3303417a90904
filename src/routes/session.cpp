#include "routes/session.hpp"

#include "core/crypto.hpp"
#include "db/auth_store.hpp"
#include "routes/forms.hpp"

namespace eelchat::routes {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

std::string cookie_header(const request_context& ctx, std::string value, std::chrono::seconds max_age) {
    cookie_options o;
    o.name = std::string(session_cookie);
    o.value = std::move(value);
    o.max_age = max_age;
    o.secure = ctx.svc.cfg.base_url.starts_with("https://");
    return set_cookie_header(o);
}

asio::awaitable<db::result<void>> issue(request_context& ctx, std::optional<signed_in_user> user,
                                        std::chrono::seconds ttl) {
    std::string token = crypto::random_token();
    session_state s{crypto::sha256_hex(token), crypto::random_token(), std::move(user)};
    std::optional<std::string> user_id;
    if (s.user) user_id = s.user->id;
    auto r = co_await db::create_session(ctx.svc.db, s.token_hash, s.csrf_token, std::move(user_id), ttl);
    if (!r) co_return r.error();
    // The cookie lives as long as a signed-in session may; an anonymous row expires sooner on the server
    // and is simply replaced when the browser comes back.
    ctx.set_cookies.push_back(cookie_header(ctx, std::move(token), signed_in_ttl));
    ctx.session = std::move(s);
    ctx.session_loaded = true;
    co_return db::result<void>();
}

} // namespace

asio::awaitable<db::result<session_state*>> load_session(request_context& ctx) {
    if (ctx.session_loaded) co_return ctx.session ? &*ctx.session : nullptr;
    auto token = cookie_value(ctx.req[http::field::cookie], session_cookie);
    if (!token || token->size() != 64) {
        ctx.session_loaded = true;
        co_return nullptr;
    }
    auto row = co_await db::find_session(ctx.svc.db, crypto::sha256_hex(*token));
    if (!row) co_return row.error();
    ctx.session_loaded = true;
    if (!*row) co_return nullptr;
    session_state s{(*row)->token_hash, (*row)->csrf_token, std::nullopt};
    if ((*row)->user_id) s.user = signed_in_user{*(*row)->user_id, (*row)->email, (*row)->display_name};
    ctx.session = std::move(s);
    co_return &*ctx.session;
}

asio::awaitable<db::result<session_state*>> ensure_session(request_context& ctx) {
    auto s = co_await load_session(ctx);
    if (!s) co_return s.error();
    if (*s) co_return *s;
    auto r = co_await issue(ctx, std::nullopt, anonymous_ttl);
    if (!r) co_return r.error();
    co_return &*ctx.session;
}

asio::awaitable<db::result<void>> start_signed_in_session(request_context& ctx, signed_in_user user) {
    auto s = co_await load_session(ctx);
    if (!s) co_return s.error();
    if (*s) {
        auto d = co_await db::delete_session(ctx.svc.db, (*s)->token_hash);
        if (!d) co_return d.error();
    }
    co_return co_await issue(ctx, std::move(user), signed_in_ttl);
}

asio::awaitable<db::result<void>> end_session(request_context& ctx) {
    auto s = co_await load_session(ctx);
    if (!s) co_return s.error();
    if (*s) {
        auto d = co_await db::delete_session(ctx.svc.db, (*s)->token_hash);
        if (!d) co_return d.error();
    }
    ctx.session.reset();
    ctx.set_cookies.push_back(cookie_header(ctx, "", std::chrono::seconds(0)));
    co_return db::result<void>();
}

bool csrf_token_matches(const request_context& ctx) {
    if (!ctx.session) return false;
    std::string_view sent = ctx.req[csrf_header];
    if (sent.empty() && ctx.form) sent = ctx.form->get(csrf_field).value_or(std::string_view{});
    return !sent.empty() && crypto::constant_time_equal(sent, ctx.session->csrf_token);
}

std::string client_address(const request_context& ctx) {
    if (ctx.svc.cfg.trust_proxy) {
        std::string_view xff = ctx.req["X-Forwarded-For"];
        auto comma = xff.rfind(',');
        std::string_view last = comma == std::string_view::npos ? xff : xff.substr(comma + 1);
        while (!last.empty() && last.front() == ' ')
            last.remove_prefix(1);
        while (!last.empty() && last.back() == ' ')
            last.remove_suffix(1);
        if (!last.empty() && last.size() <= 64) return std::string(last);
    }
    return ctx.info.remote.to_string();
}

} // namespace eelchat::routes
