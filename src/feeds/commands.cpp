#include "feeds/commands.hpp"

#include "db/feed_store.hpp"
#include "feeds/feed_url.hpp"
#include "feeds/poller.hpp"

namespace eelchat::feeds {

namespace asio = boost::asio;

namespace {

asio::awaitable<std::string> subscribe(const command_context& ctx, const std::string& typed) {
    auto ex = co_await asio::this_coro::executor;
    auto checked = co_await vet_feed_url(ex, typed, ctx.allow_private);
    if (!checked.refusal.empty()) co_return "Can't subscribe to " + typed + ": " + checked.refusal;
    const auto& url = checked.url;
    auto r = co_await db::subscribe_feed(ctx.db, ctx.channel_id, url, ctx.user_id, ctx.max_per_channel,
                                         ctx.max_per_user);
    if (!r) throw boost::system::system_error(r.error());
    switch (*r) {
    case db::subscribe_outcome::subscribed:
        ctx.log.info("feed_subscribed", {{"id", ctx.request_id}, {"channel", ctx.channel_id}, {"url", url}});
        if (ctx.poller) ctx.poller->wake(); // fetched at once, by this instance
        co_return "Subscribed to " + url;
    case db::subscribe_outcome::already_subscribed:
        co_return "Already subscribed to " + url;
    case db::subscribe_outcome::too_many_in_channel:
        co_return "Can't subscribe to " + url + ": a channel can follow at most " +
            std::to_string(ctx.max_per_channel) + " feeds.";
    case db::subscribe_outcome::too_many_for_user:
        co_return "Can't subscribe to " + url + ": one person can add at most " +
            std::to_string(ctx.max_per_user) + " feed subscriptions. Unsubscribe from one first.";
    }
    co_return "";
}

asio::awaitable<std::string> unsubscribe(const command_context& ctx, const std::string& typed) {
    const std::string url = normal_form(typed); // the form it was stored under
    auto r = co_await db::unsubscribe_feed(ctx.db, ctx.channel_id, url);
    if (!r) throw boost::system::system_error(r.error());
    if (!*r) co_return "Not subscribed to " + url;
    ctx.log.info("feed_unsubscribed", {{"id", ctx.request_id}, {"channel", ctx.channel_id}, {"url", url}});
    co_return "Unsubscribed from " + url;
}

asio::awaitable<std::string> reply_to(const command_context& ctx, const slash_command& cmd) {
    if (admin_only(cmd) && !ctx.admin) co_return admins_only_reply(cmd);
    switch (cmd.what) {
    case slash_command::kind::usage:
        co_return usage_reply(cmd);
    case slash_command::kind::list: {
        auto urls = co_await db::list_feed_urls(ctx.db, ctx.channel_id);
        if (!urls) throw boost::system::system_error(urls.error());
        co_return list_reply(*urls);
    }
    case slash_command::kind::subscribe:
        co_return co_await subscribe(ctx, cmd.argument);
    case slash_command::kind::unsubscribe:
        co_return co_await unsubscribe(ctx, cmd.argument);
    case slash_command::kind::none:
        break;
    }
    co_return "";
}

} // namespace

asio::awaitable<void> run_slash_command(const command_context& ctx, slash_command cmd) {
    if (cmd.what == slash_command::kind::none) co_return;
    std::string reply;
    try {
        reply = co_await reply_to(ctx, cmd);
    } catch (const boost::system::system_error& e) {
        // The command's own query failed; say so in the channel rather than leave it unanswered.
        ctx.log.warn("command_failed", {{"id", ctx.request_id}, {"command", cmd.name}, {"error", e.what()}});
        reply = "Sorry, /" + cmd.name + " failed: the database did not answer. Try again.";
    }
    if (reply.empty()) co_return;
    auto posted = co_await db::post_system_message(ctx.db, ctx.channel_id, std::move(reply));
    if (!posted)
        ctx.log.warn("command_reply_failed",
                     {{"id", ctx.request_id}, {"command", cmd.name}, {"error", posted.error().message()}});
}

} // namespace eelchat::feeds
