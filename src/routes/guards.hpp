// The checks in front of the app's routes: who is signed in, which community and channel a URL names,
// and whether this user may see or change it. Each yields either what it found or the response to send
// instead (a redirect, 403, 404 or 503), so handlers read top to bottom.
#pragma once

#include "conversations/permissions.hpp"
#include "db/chat_store.hpp"
#include "routes/context.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <utility>
#include <variant>

namespace eelchat::routes {

template <class T> class checked {
public:
    checked(T value) : v_(std::move(value)) {}
    checked(net::http_response refusal) : v_(std::move(refusal)) {}

    bool ok() const { return v_.index() == 0; }
    T& operator*() { return std::get<0>(v_); }
    T* operator->() { return &std::get<0>(v_); }
    net::http_response refusal() && { return std::move(std::get<1>(v_)); }

private:
    std::variant<T, net::http_response> v_;
};

// The response to a failed database call: 503 when the database is unreachable (logged at warn), 500
// otherwise (logged at error with the SQLSTATE). Clients never see the details.
net::http_response database_failure(request_context& ctx, boost::system::error_code ec);

// The signed-in user, or a 303 to "/?error=not-signed-in".
boost::asio::awaitable<checked<signed_in_user>> require_user(request_context& ctx);

struct community_access {
    db::community_row community;
    std::optional<db::membership_row> membership; // nullopt: signed in but not a member
    bool channel_member = false;                  // among the loaded channel's own members (private, direct)
    bool banned = false;                          // an admin removed this user
    bool admin() const { return membership && membership->admin; }
    conversations::reader reader() const { return {membership.has_value(), admin(), channel_member}; }
};
// The community named by the :id parameter (404 when malformed or unknown), with the user's membership.
boost::asio::awaitable<checked<community_access>> load_community(request_context& ctx,
                                                                 const signed_in_user& user);

struct channel_access {
    community_access access;
    db::channel_row channel;
};
// The community of :id and its channel :cid, with the user's membership, in one query. Members only: a
// non-member is sent to the community page (GET) or refused with 403 (changes). Malformed, unknown or
// another community's channel: 404, and so is a private channel or direct conversation the member is
// not in (conversations/permissions.hpp), so that its existence shows nowhere.
boost::asio::awaitable<checked<channel_access>> load_channel(request_context& ctx,
                                                             const signed_in_user& user);

// Route combinators: run the guards in order and call `f` with what they found, or send the refusal.
//   with_user(f):      f(ctx, user)
//   with_community(f): f(ctx, user, access)
//   with_channel(f):   f(ctx, user, access, channel)
template <class F> auto with_user(F f) {
    return [f](request_context& ctx) -> boost::asio::awaitable<net::http_response> {
        auto user = co_await require_user(ctx);
        if (!user.ok()) co_return std::move(user).refusal();
        co_return co_await f(ctx, *user);
    };
}

template <class F> auto with_community(F f) {
    return with_user(
        [f](request_context& ctx, signed_in_user& user) -> boost::asio::awaitable<net::http_response> {
            auto access = co_await load_community(ctx, user);
            if (!access.ok()) co_return std::move(access).refusal();
            co_return co_await f(ctx, user, *access);
        });
}

template <class F> auto with_channel(F f) {
    return with_user(
        [f](request_context& ctx, signed_in_user& user) -> boost::asio::awaitable<net::http_response> {
            auto found = co_await load_channel(ctx, user);
            if (!found.ok()) co_return std::move(found).refusal();
            co_return co_await f(ctx, user, found->access, found->channel);
        });
}

// 403 with the plain error page.
net::http_response forbidden(request_context& ctx);
net::http_response not_found(request_context& ctx);

} // namespace eelchat::routes
