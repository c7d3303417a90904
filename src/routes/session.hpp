// Browser sessions and CSRF. A session is a random 256-bit token in an HttpOnly, SameSite=Lax cookie.
// A signed-in one has a row holding only the token's SHA-256 (revocable: deleting the row signs the
// browser out). A visitor who is not signed in gets a token too when a page shows a form, so that every
// POST can be checked for a CSRF token and an emailed sign-in link can be tied to the browser that
// asked, but no row: the visitor's CSRF token is an HMAC of its token under the server's key, so page
// views cost the database nothing, however many a client makes.
//
// A second cookie marks a browser that signed in to an address before (an HMAC of the address): the
// sign-in limits let it through where a stranger asking for that address is refused.
#pragma once

#include "db/error.hpp"
#include "routes/context.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace eelchat::routes {

inline constexpr std::string_view session_cookie = "eelchat_session";
inline constexpr std::chrono::seconds signed_in_ttl = std::chrono::hours(24 * 60); // also the cookie's
inline constexpr std::string_view device_cookie = "eelchat_device";
inline constexpr std::chrono::seconds device_ttl = std::chrono::hours(24 * 400); // browsers' longest
inline constexpr std::string_view csrf_field = "__anti-forgery-token";
inline constexpr std::string_view csrf_header = "X-CSRF-Token";

// The server's 'browser' key (loaded once per worker).
boost::asio::awaitable<db::result<const std::string*>> browser_key(request_context& ctx);

// The browser's live session, if its cookie names one (cached on the context). Completes with nullptr
// when there is none, or with a database error.
boost::asio::awaitable<db::result<session_state*>> load_session(request_context& ctx);
// The session, starting a visitor's (a cookie, nothing stored) when the browser has none.
boost::asio::awaitable<db::result<session_state*>> ensure_session(request_context& ctx);
// Signs the browser in as `user`: the old session is dropped and a new token issued (no fixation).
boost::asio::awaitable<db::result<void>> start_signed_in_session(request_context& ctx, signed_in_user user);
// Signs the browser in as the owner of `email` (normalised), creating the user on a first sign-in: what
// every way of signing in ends with once it has proven the address. Completes with the user id.
boost::asio::awaitable<db::result<std::string>> sign_in_as(request_context& ctx, std::string email);
// Ends the session and clears the cookie.
boost::asio::awaitable<db::result<void>> end_session(request_context& ctx);

// True when the request carries the session's CSRF token (form field or header). Needs the session
// loaded and, for form posts, the form parsed.
bool csrf_token_matches(const request_context& ctx);

// The device cookie's value for `email`.
std::string device_value(std::string_view key, std::string_view email);
// Whether this browser signed in to `email` before (its device cookie says so).
boost::asio::awaitable<db::result<bool>> known_device(request_context& ctx, std::string_view email);

// The client's address: the peer, or with TRUST_PROXY the last X-Forwarded-For hop.
std::string client_address(const request_context& ctx);
// The key limits count the client by (net::address_bucket: IPv6 by its /64).
std::string client_bucket(const request_context& ctx);

} // namespace eelchat::routes
