#include "routes/guards.hpp"

#include "core/crypto.hpp"
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

net::http_response forbidden(request_context& ctx) {
    return error_page(ctx.svc.pages, http::status::forbidden);
}
net::http_response not_found(request_context& ctx) {
    return error_page(ctx.svc.pages, http::status::not_found);
}

asio::awaitable<checked<signed_in_user>> require_user(request_context& ctx) {
    auto s = co_await load_session(ctx);
    if (!s) co_return database_failure(ctx, s.error());
    if (!*s || !(*s)->user) co_return redirect_response("/?error=not-signed-in");
    co_return *(*s)->user;
}

namespace {

// The community of :id and, with `channel_id`, that channel, with the user's membership: one query.
asio::awaitable<checked<db::community_access_row>>
load_access(request_context& ctx, const signed_in_user& user, std::optional<std::string> channel_id) {
    auto id = crypto::normalize_uuid(ctx.params.get("id"));
    if (!id) co_return not_found(ctx);
    auto found = co_await db::find_community_access(ctx.svc.db, user.id, *id, std::move(channel_id));
    if (!found) co_return database_failure(ctx, found.error());
    if (!*found) co_return not_found(ctx);
    co_return std::move(**found);
}

} // namespace

asio::awaitable<checked<community_access>> load_community(request_context& ctx, const signed_in_user& user) {
    std::optional<std::string> no_channel;
    auto found = co_await load_access(ctx, user, std::move(no_channel));
    if (!found.ok()) co_return std::move(found).refusal();
    co_return community_access{std::move(found->community), std::move(found->membership), false,
                               found->banned};
}

asio::awaitable<checked<channel_access>> load_channel(request_context& ctx, const signed_in_user& user) {
    auto cid = crypto::normalize_uuid(ctx.params.get("cid"));
    if (!cid) co_return not_found(ctx);
    std::optional<std::string> channel_id = std::move(*cid);
    auto found = co_await load_access(ctx, user, std::move(channel_id));
    if (!found.ok()) co_return std::move(found).refusal();
    if (!found->membership) {
        // eelchat sends a non-member to the community page, where they can join; changes are refused.
        if (ctx.req.method() == http::verb::get || ctx.req.method() == http::verb::head)
            co_return redirect_response("/community/" + found->community.id);
        co_return forbidden(ctx);
    }
    if (!found->channel) co_return not_found(ctx);
    channel_access out;
    out.access = community_access{std::move(found->community), std::move(found->membership),
                                  found->channel_member, found->banned};
    if (!conversations::may_read(found->channel->kind, out.access.reader())) co_return not_found(ctx);
    out.channel = std::move(*found->channel);
    co_return out;
}

} // namespace eelchat::routes
