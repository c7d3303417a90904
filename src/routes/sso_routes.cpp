// Single sign-on with the OpenID Connect provider of OIDC_ISSUER (authorization code flow, PKCE S256,
// state and nonce; the protocol is in src/sso, its rows in db/oidc_store.hpp).
//
// Authorization: GET /auth/oidc only stores a begun sign-in and redirects, so it needs no CSRF token (a
// forged request signs nobody in: the sign-in ends at the provider, in front of the person). The
// callback is a GET the provider's redirect makes; what protects it is its state, which is good once,
// for 10 minutes, and only in the browser that began (its session cookie's hash is stored with it), so
// an attacker cannot make a victim's browser finish the attacker's sign-in (login CSRF). Whoever has
// signed in at the provider with a verified email becomes that email's user, as an emailed link would.
//
// Failures show one generic page; what went wrong goes to the log only, and nothing is changed.
#include "core/crypto.hpp"
#include "core/text.hpp"
#include "db/auth_store.hpp"
#include "db/oidc_store.hpp"
#include "render/page.hpp"
#include "routes/forms.hpp"
#include "routes/guards.hpp"
#include "routes/responses.hpp"
#include "routes/routes.hpp"
#include "routes/session.hpp"
#include "routes/shell.hpp"
#include "sso/client.hpp"

namespace eelchat::routes {

namespace asio = boost::asio;

namespace {

// Begun sign-ins one client may store per window: far above a person's retries, low enough that a
// script cannot fill the table.
constexpr int starts_per_client = 60;
constexpr std::chrono::seconds start_window = std::chrono::minutes(15);

enum class sso_problem { expired, cancelled, provider, rejected, no_email, busy };

std::string_view explanation(sso_problem p) {
    switch (p) {
    case sso_problem::expired:
        return "this sign-in has expired or was already used, or it began in another browser. Start again "
               "from the sign-in page.";
    case sso_problem::cancelled:
        return "the sign-in was cancelled or refused at the provider.";
    case sso_problem::provider:
        return "eelchat could not talk to the sign-in provider. Try again in a moment.";
    case sso_problem::rejected:
        return "the provider's answer could not be verified.";
    case sso_problem::no_email:
        return "the provider did not give a verified email address for your account.";
    case sso_problem::busy:
        return "too many sign-ins were started from your network. Wait a few minutes and try again.";
    }
    return "something went wrong.";
}

net::http_response failure_page(request_context& ctx, sso_problem p, std::string_view why) {
    ctx.svc.log.warn("sso_failed", {{"id", ctx.info.id}, {"reason", why}});
    const auto status = p == sso_problem::provider ? http::status::bad_gateway
                        : p == sso_problem::busy   ? http::status::too_many_requests
                                                   : http::status::bad_request;
    std::string text = "Single sign-on failed: " + std::string(explanation(p));
    return html_response(status, ctx.svc.pages.message("eelchat", "Single sign-on failed", text));
}

sso_problem problem_of(const sso::failure& f) {
    switch (f.kind) {
    case sso::failure_kind::unreachable:
        return sso_problem::provider;
    case sso::failure_kind::no_email:
        return sso_problem::no_email;
    case sso::failure_kind::invalid:
    case sso::failure_kind::unknown_key:
    case sso::failure_kind::rejected:
        break;
    }
    return sso_problem::rejected;
}

// What a provider's error parameters may put in a log line: short, printable.
std::string loggable(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 200))
        out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    return out;
}

asio::awaitable<net::http_response> start(request_context& ctx) {
    if (!ctx.svc.sso) co_return error_page(ctx.svc.pages, http::status::not_found);
    auto current = co_await load_session(ctx);
    if (!current) co_return database_failure(ctx, current.error());
    if (*current && (*current)->user) co_return redirect_response("/app");

    auto allowed = co_await db::rate_limit_hit(ctx.svc.db, "oidc-start:" + client_bucket(ctx),
                                               starts_per_client, start_window);
    if (!allowed) co_return database_failure(ctx, allowed.error());
    if (!*allowed) co_return failure_page(ctx, sso_problem::busy, "too many sign-ins started by this client");

    const auto ex = co_await asio::this_coro::executor;
    auto metadata = co_await ctx.svc.sso->metadata(ex);
    if (!metadata) co_return failure_page(ctx, problem_of(metadata.error()), metadata.error().detail);
    // The browser's cookie is what the callback must bring back: a visitor gets one now.
    auto session = co_await ensure_session(ctx);
    if (!session) co_return database_failure(ctx, session.error());
    const auto secrets = sso::new_login_secrets();
    auto stored = co_await db::create_oidc_login(ctx.svc.db, crypto::sha256_hex(secrets.state), secrets.nonce,
                                                 secrets.verifier, (*session)->token_hash);
    if (!stored) co_return database_failure(ctx, stored.error());
    co_return redirect_response(
        sso::authorization_url(*metadata, ctx.svc.sso->config().credentials, secrets));
}

asio::awaitable<net::http_response> callback(request_context& ctx) {
    if (!ctx.svc.sso) co_return error_page(ctx.svc.pages, http::status::not_found);
    const auto q = query_of(ctx);
    const std::string state(q.get("state").value_or(""));
    if (!crypto::is_token(state))
        co_return failure_page(ctx, sso_problem::expired, "the callback has no valid state");
    // Taken out first, whatever follows: a state is good for one try, even a failed one.
    auto login = co_await db::consume_oidc_login(ctx.svc.db, crypto::sha256_hex(state));
    if (!login) co_return database_failure(ctx, login.error());
    if (!*login) co_return failure_page(ctx, sso_problem::expired, "unknown or already used state");
    if (!(*login)->fresh)
        co_return failure_page(ctx, sso_problem::expired, "the sign-in began over 10 minutes ago");
    auto session = co_await load_session(ctx);
    if (!session) co_return database_failure(ctx, session.error());
    if (!*session || !crypto::constant_time_equal((*session)->token_hash, (*login)->browser_hash))
        co_return failure_page(ctx, sso_problem::expired,
                               "the callback came from another browser than the start");

    if (auto error = q.get("error")) {
        std::string why = "the provider answered error=" + loggable(*error);
        if (auto d = q.get("error_description")) why += " (" + loggable(*d) + ")";
        co_return failure_page(ctx, sso_problem::cancelled, why);
    }
    const std::string code(q.get("code").value_or(""));
    if (code.empty() || code.size() > 4096)
        co_return failure_page(ctx, sso_problem::rejected, "the callback has no code");

    const auto ex = co_await asio::this_coro::executor;
    auto claims = co_await ctx.svc.sso->finish(ex, code, (*login)->code_verifier, (*login)->nonce,
                                               std::chrono::system_clock::now());
    if (!claims) co_return failure_page(ctx, problem_of(claims.error()), claims.error().detail);
    auto email = text::normalize_email(claims->email);
    if (!email)
        co_return failure_page(ctx, sso_problem::no_email, "the provider's email is not a valid address");

    auto user_id = co_await sign_in_as(ctx, *email);
    if (!user_id) co_return database_failure(ctx, user_id.error());
    ctx.svc.log.info("signed_in",
                     {{"id", ctx.info.id}, {"user", *user_id}, {"method", "oidc"}, {"kid", claims->kid}});
    co_return redirect_response("/app");
}

} // namespace

void add_sso_routes(router& r) {
    r.add(http::verb::get, "/auth/oidc", [](request_context& ctx) { return start(ctx); });
    r.add(http::verb::get, "/auth/oidc/callback", [](request_context& ctx) { return callback(ctx); });
}

} // namespace eelchat::routes
