#include "routes/session.hpp"

#include "core/crypto.hpp"
#include "db/auth_store.hpp"
#include "db/params.hpp"
#include "net/address_bucket.hpp"
#include "routes/forms.hpp"

namespace eelchat::routes {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// A visitor's cookie value: 'a' and 64 hex digits. A signed-in one is 64 hex digits and has a row.
constexpr char visitor_mark = 'a';

std::string cookie_header(const request_context& ctx, std::string_view name, std::string value,
                          std::chrono::seconds max_age) {
    cookie_options o;
    o.name = std::string(name);
    o.value = std::move(value);
    o.max_age = max_age;
    o.secure = ctx.svc.cfg.base_url.starts_with("https://");
    return set_cookie_header(o);
}

// The visitor's state: nothing stored, the CSRF token derived from its cookie with the server's key.
asio::awaitable<db::result<session_state*>> visitor_session(request_context& ctx, std::string token) {
    auto key = co_await browser_key(ctx);
    if (!key) co_return key.error();
    session_state s;
    s.token_hash = crypto::sha256_hex(token);
    s.csrf_token = crypto::hmac_sha256_hex(**key, "csrf:" + s.token_hash);
    ctx.session = std::move(s);
    ctx.session_loaded = true;
    co_return &*ctx.session;
}

} // namespace

asio::awaitable<db::result<const std::string*>> browser_key(request_context& ctx) {
    if (ctx.svc.browser_key.empty()) {
        auto key = co_await db::server_key(ctx.svc.db, "browser");
        if (!key) co_return key.error();
        ctx.svc.browser_key = std::move(*key);
    }
    co_return &ctx.svc.browser_key;
}

asio::awaitable<db::result<session_state*>> load_session(request_context& ctx) {
    if (ctx.session_loaded) co_return ctx.session ? &*ctx.session : nullptr;
    auto token = cookie_value(ctx.req[http::field::cookie], session_cookie);
    if (token && token->size() == 65 && token->front() == visitor_mark && crypto::is_token(token->substr(1)))
        co_return co_await visitor_session(ctx, std::string(*token));
    if (!token || !crypto::is_token(*token)) {
        ctx.session_loaded = true;
        co_return nullptr;
    }
    auto row = co_await db::find_session(ctx.svc.db, crypto::sha256_hex(*token));
    if (!row) co_return row.error();
    ctx.session_loaded = true;
    if (!*row) co_return nullptr;
    session_state s{(*row)->token_hash, (*row)->csrf_token, std::nullopt, true};
    if ((*row)->user_id) s.user = signed_in_user{*(*row)->user_id, (*row)->email, (*row)->display_name};
    ctx.session = std::move(s);
    co_return &*ctx.session;
}

asio::awaitable<db::result<session_state*>> ensure_session(request_context& ctx) {
    auto s = co_await load_session(ctx);
    if (!s) co_return s.error();
    if (*s) co_return *s;
    std::string token = visitor_mark + crypto::random_token();
    ctx.set_cookies.push_back(cookie_header(ctx, session_cookie, token, signed_in_ttl));
    co_return co_await visitor_session(ctx, std::move(token));
}

asio::awaitable<db::result<void>> start_signed_in_session(request_context& ctx, signed_in_user user) {
    auto s = co_await load_session(ctx);
    if (!s) co_return s.error();
    if (*s && (*s)->stored) {
        auto d = co_await db::delete_session(ctx.svc.db, (*s)->token_hash);
        if (!d) co_return d.error();
    }
    std::string token = crypto::random_token();
    session_state n{crypto::sha256_hex(token), crypto::random_token(), std::move(user), true};
    auto r = co_await db::create_session(ctx.svc.db, n.token_hash, n.csrf_token, n.user->id, signed_in_ttl);
    if (!r) co_return r.error();
    ctx.set_cookies.push_back(cookie_header(ctx, session_cookie, std::move(token), signed_in_ttl));
    // This browser has now proven it can read the address's mail: the sign-in limits treat it as known.
    auto key = co_await browser_key(ctx);
    if (!key) co_return key.error();
    ctx.set_cookies.push_back(
        cookie_header(ctx, device_cookie, device_value(**key, n.user->email), device_ttl));
    ctx.session = std::move(n);
    ctx.session_loaded = true;
    co_return db::result<void>();
}

asio::awaitable<db::result<std::string>> sign_in_as(request_context& ctx, std::string email) {
    auto user_id = co_await db::upsert_user(ctx.svc.db, email);
    if (!user_id) co_return user_id;
    signed_in_user user{*user_id, std::move(email), std::nullopt}; // named: see tests/lint/coawait_braces.sh
    auto started = co_await start_signed_in_session(ctx, std::move(user));
    if (!started) co_return db::failure<std::string>(started.error());
    co_return user_id;
}

asio::awaitable<db::result<void>> end_session(request_context& ctx) {
    auto s = co_await load_session(ctx);
    if (!s) co_return s.error();
    if (*s && (*s)->stored) {
        auto d = co_await db::delete_session(ctx.svc.db, (*s)->token_hash);
        if (!d) co_return d.error();
    }
    ctx.session.reset();
    ctx.set_cookies.push_back(cookie_header(ctx, session_cookie, "", std::chrono::seconds(0)));
    co_return db::result<void>();
}

bool csrf_token_matches(const request_context& ctx) {
    if (!ctx.session) return false;
    std::string_view sent = ctx.req[csrf_header];
    if (sent.empty() && ctx.form) sent = ctx.form->get(csrf_field).value_or(std::string_view{});
    return !sent.empty() && crypto::constant_time_equal(sent, ctx.session->csrf_token);
}

std::string device_value(std::string_view key, std::string_view email) {
    return crypto::hmac_sha256_hex(key, "device:" + std::string(email));
}

asio::awaitable<db::result<bool>> known_device(request_context& ctx, std::string_view email) {
    auto sent = cookie_value(ctx.req[http::field::cookie], device_cookie);
    if (!sent || sent->size() != 64) co_return false;
    auto key = co_await browser_key(ctx);
    if (!key) co_return db::failure<bool>(key.error());
    co_return crypto::constant_time_equal(*sent, device_value(**key, email));
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

std::string client_bucket(const request_context& ctx) {
    return net::address_bucket(client_address(ctx));
}

} // namespace eelchat::routes
