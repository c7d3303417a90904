#include "routes/guards.hpp"

#include "app/crypto.hpp"
#include "db/error.hpp"
#include "routes/responses.hpp"
#include "routes/session.hpp"

namespace eelchat::routes {

namespace asio = boost::asio;
namespace http = boost::beast::http;

net::http_response database_failure(request_context& ctx, boost::system::error_code ec) {
    const bool unavailable = db::is_connection_error(ec);
    ctx.svc.log.log(unavailable ? log_level::warn : log_level::error, "database_call_failed",
                    {{"id", ctx.info.id},
                     {"path", std::string_view(ctx.req.target()).substr(0, ctx.req.target().find('?'))},
                     {"error", ec.message()},
                     {"sqlstate", db::sqlstate_of(ec)}});
    return error_page(ctx.svc.pages,
                      unavailable ? http::status::service_unavailable : http::status::internal_server_error);
}

net::http_response forbidden(request_context& ctx) { return error_page(ctx.svc.pages, http::status::forbidden); }
net::http_response not_found(request_context& ctx) { return error_page(ctx.svc.pages, http::status::not_found); }

asio::awaitable<checked<signed_in_user>> require_user(request_context& ctx) {
    auto s = co_await load_session(ctx);
    if (!s) co_return database_failure(ctx, s.error());
    if (!*s || !(*s)->user) co_return redirect_response("/?error=not-signed-in");
    co_return *(*s)->user;
}

asio::awaitable<checked<community_access>> load_community(request_context& ctx, const signed_in_user& user) {
    auto id = crypto::normalize_uuid(ctx.params.get("id"));
    if (!id) co_return not_found(ctx);
    auto community = co_await db::find_community(ctx.svc.db, *id);
    if (!community) co_return database_failure(ctx, community.error());
    if (!*community) co_return not_found(ctx);
    auto membership = co_await db::find_membership(ctx.svc.db, user.id, *id);
    if (!membership) co_return database_failure(ctx, membership.error());
    co_return community_access{std::move(**community), std::move(*membership)};
}

asio::awaitable<checked<db::channel_row>> load_channel(request_context& ctx, const community_access& access) {
    auto id = crypto::normalize_uuid(ctx.params.get("cid"));
    if (!id) co_return not_found(ctx);
    if (!access.membership) {
        // eelchat sends a non-member to the community page, where they can join; changes are refused.
        if (ctx.req.method() == http::verb::get || ctx.req.method() == http::verb::head)
            co_return redirect_response("/community/" + access.community.id);
        co_return forbidden(ctx);
    }
    auto channel = co_await db::find_channel(ctx.svc.db, access.community.id, *id);
    if (!channel) co_return database_failure(ctx, channel.error());
    if (!*channel) co_return not_found(ctx);
    co_return std::move(**channel);
}

} // namespace eelchat::routes
