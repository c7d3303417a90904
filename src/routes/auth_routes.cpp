// Passwordless sign-in: an emailed link (valid one hour, once, in the browser that asked) or an emailed
// six-digit code (three minutes, three tries). Emails are limited per client address first, so that a
// client out of allowance cannot spend anyone else's; then per address from that client, and per address
// in all, which a browser that signed in to the address before is not held to (limits/settings.hpp).
// Wrong codes are counted per address over a day, so the six digits cannot be worn down code by code.
// With EMAIL_SIGNIN=off none of this exists: the pages show only single sign-on (routes/sso_routes.cpp)
// and every emailed-sign-in route is refused, so a link or code cannot be had by calling it directly.
#include "core/crypto.hpp"
#include "core/text.hpp"
#include "db/auth_store.hpp"
#include "db/params.hpp"
#include "limits/guards.hpp"
#include "mail/mailer.hpp"
#include "render/page.hpp"
#include "routes/forms.hpp"
#include "routes/guards.hpp"
#include "routes/responses.hpp"
#include "routes/routes.hpp"
#include "routes/session.hpp"
#include "routes/shell.hpp"

namespace eelchat::routes {

namespace asio = boost::asio;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

constexpr seconds link_ttl = std::chrono::hours(1);
constexpr seconds code_ttl = minutes(3);
constexpr int code_max_failures = 3;
constexpr seconds email_window = minutes(15);
constexpr seconds guess_window = std::chrono::hours(24);

std::string_view error_message(std::string_view code) {
    if (code == "invalid-email") return "Invalid email. Try again with a different address.";
    if (code == "send-failed")
        return "We weren't able to send an email to that address. If the problem persists, try another "
               "address.";
    if (code == "rate-limited")
        return "Too many sign-in emails were requested for this address or from your network. Wait a few "
               "minutes and try again, or use the link in the last email you received.";
    if (code == "too-many-guesses")
        return "Too many wrong codes were entered for this address today. Sign in with an emailed link "
               "instead.";
    if (code == "invalid-link") return "Invalid or expired link. Sign in to get a new link.";
    if (code == "not-signed-in") return "You must be signed in to view that page.";
    if (code == "invalid-code") return "Invalid code. Try again.";
    if (code == "code-expired")
        return "That code has expired or was tried too many times. Send another code.";
    if (code == "incorrect-email") return "Incorrect email address. Try again.";
    if (code == "signed-out") return "You have been signed out.";
    return "There was an error.";
}

std::string console_notice(const request_context& ctx) {
    return ctx.svc.mail.prints_to_console()
               ? "This server has no mail settings yet, so it prints sign-in emails to its console (standard "
                 "output) instead of sending them. Set SMTP_HOST and MAIL_FROM to send real mail."
               : "";
}

// Renders a sign-in page that carries a form: the browser needs a session for the form's CSRF token.
asio::awaitable<net::http_response> auth_page(request_context& ctx, std::string_view name, render::data d) {
    auto s = co_await ensure_session(ctx);
    if (!s) co_return database_failure(ctx, s.error());
    d.set("csrf", (*s)->csrf_token);
    if (ctx.svc.sso) d.set("sso_name", ctx.svc.cfg.sso_name);
    if (ctx.svc.cfg.email_signin) {
        d.set("email_signin", true);
        auto notice = console_notice(ctx);
        if (!notice.empty()) d.set("console_mail", notice);
    }
    co_return html_response(http::status::ok,
                            ctx.svc.pages.page("eelchat", name, std::move(d), (*s)->csrf_token));
}

// The sign-in email limits, in order; false (and nothing sent) at the first that is exhausted. A later
// limit is not charged when an earlier one refuses.
asio::awaitable<db::result<bool>> allow_email(request_context& ctx, const std::string& email) {
    const auto& l = ctx.svc.limits.cfg;
    const std::string client = client_bucket(ctx);
    auto by_client = co_await db::rate_limit_hit(ctx.svc.db, "client:" + client,
                                                 static_cast<int>(l.signin_emails_per_client), email_window);
    if (!by_client || !*by_client) co_return by_client;
    auto pair =
        co_await db::rate_limit_hit(ctx.svc.db, "email-client:" + email + " " + client,
                                    static_cast<int>(l.signin_emails_per_email_and_client), email_window);
    if (!pair || !*pair) co_return pair;
    auto known = co_await known_device(ctx, email);
    if (!known || *known) co_return known;
    co_return co_await db::rate_limit_hit(ctx.svc.db, "email:" + email,
                                          static_cast<int>(l.signin_emails_per_email), email_window);
}

// The bucket wrong codes for `email` count in: one for strangers, one for browsers that signed in to it.
asio::awaitable<db::result<std::string>> guess_bucket(request_context& ctx, const std::string& email) {
    auto known = co_await known_device(ctx, email);
    if (!known) co_return db::failure<std::string>(known.error());
    co_return (*known ? "code-guesses-known:" : "code-guesses:") + email;
}

asio::awaitable<net::http_response> finish_sign_in(request_context& ctx, const std::string& email) {
    auto user_id = co_await sign_in_as(ctx, email);
    if (!user_id) co_return database_failure(ctx, user_id.error());
    ctx.svc.log.info("signed_in", {{"id", ctx.info.id}, {"user", *user_id}, {"method", "email"}});
    co_return redirect_response("/app");
}

asio::awaitable<net::http_response> send_link(request_context& ctx) {
    auto email = text::normalize_email(field(ctx, "email"));
    if (!email) co_return redirect_response("/?error=invalid-email");
    auto allowed = co_await allow_email(ctx, *email);
    if (!allowed) co_return database_failure(ctx, allowed.error());
    if (!*allowed) co_return redirect_response("/?error=rate-limited");

    const std::string token = crypto::random_token();
    auto stored = co_await db::create_link(ctx.svc.db, crypto::sha256_hex(token), *email,
                                           ctx.session->token_hash, link_ttl);
    if (!stored) co_return database_failure(ctx, stored.error());
    mail::message m;
    m.to = *email;
    m.subject = "Sign in to eelchat";
    m.text = "We received a request to sign in to eelchat using this email address. Open this link to sign "
             "in:\n\n" +
             ctx.svc.cfg.base_url + "/auth/verify-link/" + token +
             "\n\nThis link works once, in the browser you asked from, and expires in one hour. "
             "If you did not request it, you can ignore this email.";
    auto sent = co_await ctx.svc.mail.send(m);
    if (sent) co_return redirect_response("/?error=send-failed");
    co_return redirect_response("/link-sent?email=" + url_encode(*email));
}

asio::awaitable<net::http_response> verify_link(request_context& ctx, std::string token,
                                                std::string typed_email) {
    const bool from_form = !typed_email.empty();
    if (!crypto::is_token(token)) co_return redirect_response("/signin?error=invalid-link");
    const std::string hash = crypto::sha256_hex(token);
    auto link = co_await db::peek_link(ctx.svc.db, hash);
    if (!link) co_return database_failure(ctx, link.error());
    if (!*link) co_return redirect_response("/signin?error=invalid-link");

    auto session = co_await load_session(ctx);
    if (!session) co_return database_failure(ctx, session.error());
    const bool same_browser =
        *session && crypto::constant_time_equal((*session)->token_hash, (*link)->session_hash);
    if (!same_browser) {
        if (!from_form) co_return redirect_response("/verify-link?token=" + token);
        auto email = text::normalize_email(typed_email);
        if (!email || !crypto::constant_time_equal(*email, (*link)->email))
            co_return redirect_response("/verify-link?error=incorrect-email&token=" + token);
    }
    auto consumed = co_await db::consume_link(ctx.svc.db, hash);
    if (!consumed) co_return database_failure(ctx, consumed.error());
    if (!*consumed) co_return redirect_response("/signin?error=invalid-link");
    co_return co_await finish_sign_in(ctx, (*link)->email);
}

asio::awaitable<net::http_response> send_code(request_context& ctx) {
    auto email = text::normalize_email(field(ctx, "email"));
    if (!email) co_return redirect_response("/signin?error=invalid-email");
    auto allowed = co_await allow_email(ctx, *email);
    if (!allowed) co_return database_failure(ctx, allowed.error());
    if (!*allowed) co_return redirect_response("/signin?error=rate-limited&email=" + url_encode(*email));

    const std::string code = crypto::random_code6();
    auto stored =
        co_await db::store_code(ctx.svc.db, *email, crypto::sha256_hex(*email + ":" + code), code_ttl);
    if (!stored) co_return database_failure(ctx, stored.error());
    auto exists = co_await db::user_exists(ctx.svc.db, *email);
    if (!exists) co_return database_failure(ctx, exists.error());
    const std::string_view action = *exists ? "sign in to" : "sign up for";
    mail::message m;
    m.to = *email;
    m.subject = *exists ? "Sign in to eelchat" : "Sign up for eelchat";
    m.text = "We received a request to " + std::string(action) +
             " eelchat using this email address. Enter this code to continue:\n\n    " + code +
             "\n\nThis code expires in three minutes. If you did not request it, you can ignore this email.";
    auto sent = co_await ctx.svc.mail.send(m);
    if (sent) co_return redirect_response("/signin?error=send-failed&email=" + url_encode(*email));
    co_return redirect_response("/verify-code?email=" + url_encode(*email));
}

asio::awaitable<net::http_response> verify_code(request_context& ctx) {
    auto email = text::normalize_email(field(ctx, "email"));
    if (!email) co_return redirect_response("/signin?error=invalid-email");
    std::string code = field(ctx, "code");
    auto back = "/verify-code?email=" + url_encode(*email) + "&error=";
    if (code.size() != 6 || code.find_first_not_of("0123456789") != std::string::npos)
        co_return redirect_response(back + "invalid-code");
    const int guesses = static_cast<int>(ctx.svc.limits.cfg.signin_code_guesses_per_day);
    auto bucket = co_await guess_bucket(ctx, *email);
    if (!bucket) co_return database_failure(ctx, bucket.error());
    auto room = co_await db::rate_limit_room(ctx.svc.db, *bucket, guesses, guess_window);
    if (!room) co_return database_failure(ctx, room.error());
    if (!*room) co_return redirect_response(back + "too-many-guesses");
    auto checked_code = co_await db::check_code(ctx.svc.db, *email, crypto::sha256_hex(*email + ":" + code),
                                                code_max_failures);
    if (!checked_code) co_return database_failure(ctx, checked_code.error());
    switch (*checked_code) {
    case db::code_check::accepted:
        co_return co_await finish_sign_in(ctx, *email);
    case db::code_check::wrong: {
        auto counted = co_await db::rate_limit_hit(ctx.svc.db, *bucket, guesses, guess_window);
        if (!counted) co_return database_failure(ctx, counted.error());
        co_return redirect_response(back + "invalid-code");
    }
    case db::code_check::expired_or_missing:
        co_return redirect_response(back + "code-expired");
    }
    co_return redirect_response(back + "invalid-code");
}

// The answer to an emailed-sign-in route when EMAIL_SIGNIN=off.
net::http_response email_signin_off(request_context& ctx) {
    return html_response(
        http::status::forbidden,
        ctx.svc.pages.message("eelchat", "Sign-in by email is off",
                              "This server does not send sign-in links or codes. Sign in with " +
                                  ctx.svc.cfg.sso_name + " instead."));
}

// Wraps a handler of the emailed sign-in (a lambda without captures): refused when EMAIL_SIGNIN=off. The
// wrapper captures nothing either, so no coroutine frame points into a closure.
template <class Handler> auto email_only(Handler) {
    return [](request_context& ctx) -> asio::awaitable<net::http_response> {
        if (!ctx.svc.cfg.email_signin) co_return email_signin_off(ctx);
        Handler handler;
        co_return co_await handler(ctx);
    };
}

// Pages for visitors; a signed-in browser goes straight to the app.
asio::awaitable<std::optional<net::http_response>> redirect_if_signed_in(request_context& ctx) {
    auto s = co_await load_session(ctx);
    if (!s) co_return database_failure(ctx, s.error());
    if (*s && (*s)->user) co_return redirect_response("/app");
    co_return std::nullopt;
}

} // namespace

void add_auth_routes(router& r) {
    r.add(http::verb::get, "/", [](request_context& ctx) -> asio::awaitable<net::http_response> {
        if (auto away = co_await redirect_if_signed_in(ctx)) co_return std::move(*away);
        auto q = query_of(ctx);
        render::data d;
        if (auto e = q.get("error")) d.set("error", std::string(error_message(*e)));
        co_return co_await auth_page(ctx, "landing", std::move(d));
    });
    r.add(http::verb::get, "/signin", [](request_context& ctx) -> asio::awaitable<net::http_response> {
        if (auto away = co_await redirect_if_signed_in(ctx)) co_return std::move(*away);
        auto q = query_of(ctx);
        render::data d;
        if (auto e = q.get("error")) d.set("error", std::string(error_message(*e)));
        if (auto e = q.get("email")) d.set("email", std::string(*e));
        co_return co_await auth_page(ctx, "signin", std::move(d));
    });
    r.add(http::verb::get, "/link-sent",
          email_only([](request_context& ctx) -> asio::awaitable<net::http_response> {
              render::data d;
              d.set("email", std::string(query_of(ctx).get("email").value_or("")));
              co_return co_await auth_page(ctx, "link_sent", std::move(d));
          }));
    r.add(http::verb::get, "/verify-code",
          email_only([](request_context& ctx) -> asio::awaitable<net::http_response> {
              auto q = query_of(ctx);
              auto email = text::normalize_email(q.get("email").value_or(""));
              if (!email) co_return redirect_response("/signin?error=invalid-email");
              render::data d;
              d.set("email", *email);
              if (auto e = q.get("error")) d.set("error", std::string(error_message(*e)));
              co_return co_await auth_page(ctx, "verify_code", std::move(d));
          }));
    r.add(http::verb::get, "/verify-link",
          email_only([](request_context& ctx) -> asio::awaitable<net::http_response> {
              auto q = query_of(ctx);
              std::string token(q.get("token").value_or(""));
              if (!crypto::is_token(token)) co_return redirect_response("/signin?error=invalid-link");
              render::data d;
              d.set("token", token);
              if (auto e = q.get("error")) d.set("error", std::string(error_message(*e)));
              co_return co_await auth_page(ctx, "verify_link", std::move(d));
          }));
    r.add(http::verb::get, "/auth/verify-link/:token",
          email_only([](request_context& ctx) -> asio::awaitable<net::http_response> {
              co_return co_await verify_link(ctx, std::string(ctx.params.get("token")), std::string());
          }));
    r.add(http::verb::post, "/auth/verify-link",
          email_only([](request_context& ctx) -> asio::awaitable<net::http_response> {
              std::string email = field(ctx, "email");
              if (email.empty()) email = " "; // a blank answer is still an answer from the form
              co_return co_await verify_link(ctx, field(ctx, "token"), std::move(email));
          }));
    r.add(http::verb::post, "/auth/send-link",
          email_only([](request_context& ctx) { return send_link(ctx); }));
    r.add(http::verb::post, "/auth/send-code",
          email_only([](request_context& ctx) { return send_code(ctx); }));
    r.add(http::verb::post, "/auth/verify-code",
          email_only([](request_context& ctx) { return verify_code(ctx); }));
    r.add(http::verb::post, "/auth/signout", [](request_context& ctx) -> asio::awaitable<net::http_response> {
        auto ended = co_await end_session(ctx);
        if (!ended) co_return database_failure(ctx, ended.error());
        co_return redirect_response("/");
    });
}

} // namespace eelchat::routes
