// Browser sessions and CSRF. A session is a random 256-bit token in an HttpOnly, SameSite=Lax cookie;
// the server keeps only its SHA-256 (revocable: deleting the row signs the browser out). Anonymous
// visitors get a session when a page shows them a form, so every POST can be checked for the session's
// CSRF token, and an emailed sign-in link can be tied to the browser that asked for it.
#pragma once

#include "db/error.hpp"
#include "routes/context.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace eelchat::routes {

inline constexpr std::string_view session_cookie = "eelchat_session";
inline constexpr std::chrono::seconds signed_in_ttl = std::chrono::hours(24 * 60);
inline constexpr std::chrono::seconds anonymous_ttl = std::chrono::hours(24);
inline constexpr std::string_view csrf_field = "__anti-forgery-token";
inline constexpr std::string_view csrf_header = "X-CSRF-Token";

// The browser's live session, if its cookie names one (cached on the context). Completes with nullptr
// when there is none, or with a database error.
boost::asio::awaitable<db::result<session_state*>> load_session(request_context& ctx);
// The session, creating an anonymous one (and its cookie) when the browser has none.
boost::asio::awaitable<db::result<session_state*>> ensure_session(request_context& ctx);
// Signs the browser in as `user`: the old session is dropped and a new token issued (no fixation).
boost::asio::awaitable<db::result<void>> start_signed_in_session(request_context& ctx, signed_in_user user);
// Ends the session and clears the cookie.
boost::asio::awaitable<db::result<void>> end_session(request_context& ctx);

// True when the request carries the session's CSRF token (form field or header). Needs the session
// loaded and, for form posts, the form parsed.
bool csrf_token_matches(const request_context& ctx);

// The client's address for rate limits: the peer, or with TRUST_PROXY the last X-Forwarded-For hop.
std::string client_address(const request_context& ctx);

} // namespace eelchat::routes
