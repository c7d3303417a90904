#include "routes/commands.hpp"

#include "app/feed_poller.hpp"
#include "db/feed_store.hpp"
#include "net/http_fetch.hpp"
#include "net/url.hpp"

namespace eelchat::routes {

namespace asio = boost::asio;

namespace {

constexpr int max_feeds_per_channel = 100;
constexpr std::size_t max_url_length = 2000;

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::vector<std::string_view> words(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_space(text[i])) ++i;
        const std::size_t start = i;
        while (i < text.size() && !is_space(text[i])) ++i;
        if (i > start) out.push_back(text.substr(start, i - start));
    }
    return out;
}

// The URL a feed is stored under: parsed and written back in one normal form (lower-case scheme and
// host, default port left out), so the same feed typed two ways is one subscription. Or why it cannot be
// followed, as the reply says it.
struct checked_url {
    std::string url;
    std::string refusal;
};

checked_url refuse(std::string why) {
    checked_url c;
    c.refusal = std::move(why);
    return c;
}

asio::awaitable<checked_url> check_feed_url(request_context& ctx, const std::string& typed) {
    if (typed.size() > max_url_length) co_return refuse("that URL is longer than 2,000 characters.");
    auto parsed = net::parse_url(typed);
    if (!parsed) {
        if (parsed.error() == net::url_errc::unsupported_scheme)
            co_return refuse("only http and https URLs can be followed.");
        co_return refuse("that is not a valid URL.");
    }
    // Any member can create a community and so be an admin: the host must be on the public internet
    // (unless the operator allows private addresses), checked after DNS as the fetcher checks it again.
    auto ex = co_await asio::this_coro::executor;
    auto refused = co_await net::check_host_allowed(ex, *parsed, ctx.svc.cfg.feeds_allow_private);
    if (refused) co_return refuse(refused->message + ".");
    checked_url ok;
    ok.url = parsed->to_string();
    co_return ok;
}

asio::awaitable<std::string> subscribe(request_context& ctx, const db::channel_row& channel, const std::string& typed) {
    auto checked = co_await check_feed_url(ctx, typed);
    if (!checked.refusal.empty()) co_return "Can't subscribe to " + typed + ": " + checked.refusal;
    const auto& url = checked.url;
    auto r = co_await db::subscribe_feed(ctx.svc.db, channel.id, url, max_feeds_per_channel);
    if (!r) throw boost::system::system_error(r.error());
    switch (*r) {
    case db::subscribe_outcome::subscribed:
        ctx.svc.log.info("feed_subscribed", {{"id", ctx.info.id}, {"channel", channel.id}, {"url", url}});
        if (ctx.svc.feeds) ctx.svc.feeds->wake(); // fetched at once, by this instance
        co_return "Subscribed to " + url;
    case db::subscribe_outcome::already_subscribed: co_return "Already subscribed to " + url;
    case db::subscribe_outcome::too_many:
        co_return "Can't subscribe to " + url + ": a channel can follow at most " +
            std::to_string(max_feeds_per_channel) + " feeds.";
    }
    co_return "";
}

asio::awaitable<std::string> unsubscribe(request_context& ctx, const db::channel_row& channel,
                                         const std::string& typed) {
    // In the normal form it was stored under, when it parses.
    auto parsed = net::parse_url(typed);
    const std::string url = parsed ? parsed->to_string() : typed;
    auto r = co_await db::unsubscribe_feed(ctx.svc.db, channel.id, url);
    if (!r) throw boost::system::system_error(r.error());
    if (!*r) co_return "Not subscribed to " + url;
    ctx.svc.log.info("feed_unsubscribed", {{"id", ctx.info.id}, {"channel", channel.id}, {"url", url}});
    co_return "Unsubscribed from " + url;
}

asio::awaitable<std::string> reply_to(request_context& ctx, const community_access& access,
                                      const db::channel_row& channel, const slash_command& cmd) {
    if (admin_only(cmd) && !access.admin()) co_return admins_only_reply(cmd);
    switch (cmd.what) {
    case slash_command::kind::usage: co_return usage_reply(cmd);
    case slash_command::kind::list: {
        auto urls = co_await db::list_feed_urls(ctx.svc.db, channel.id);
        if (!urls) throw boost::system::system_error(urls.error());
        co_return list_reply(*urls);
    }
    case slash_command::kind::subscribe: co_return co_await subscribe(ctx, channel, cmd.argument);
    case slash_command::kind::unsubscribe: co_return co_await unsubscribe(ctx, channel, cmd.argument);
    case slash_command::kind::none: break;
    }
    co_return "";
}

} // namespace

slash_command parse_slash_command(std::string_view text) {
    auto w = words(text);
    if (w.empty()) return {};
    slash_command cmd;
    if (w[0] == "/list") {
        cmd.name = "list";
        cmd.what = w.size() == 1 ? slash_command::kind::list : slash_command::kind::usage;
    } else if (w[0] == "/subscribe" || w[0] == "/unsubscribe") {
        cmd.name = std::string(w[0].substr(1));
        if (w.size() != 2) {
            cmd.what = slash_command::kind::usage;
        } else {
            cmd.what = w[0] == "/subscribe" ? slash_command::kind::subscribe : slash_command::kind::unsubscribe;
            cmd.argument = std::string(w[1]);
        }
    }
    return cmd;
}

bool admin_only(const slash_command& cmd) {
    return cmd.name == "subscribe" || cmd.name == "unsubscribe";
}

std::string usage_reply(const slash_command& cmd) {
    if (cmd.name == "list") return "Usage: /list";
    return "Usage: /" + cmd.name + " URL";
}

std::string admins_only_reply(const slash_command& cmd) {
    return "Only community admins can use /" + cmd.name + ".";
}

std::string list_reply(const std::vector<std::string>& sorted_urls) {
    if (sorted_urls.empty()) return "Subscriptions: none";
    std::string out = "Subscriptions:";
    for (const auto& u : sorted_urls) out += "\n- " + u;
    return out;
}

asio::awaitable<void> run_slash_command(request_context& ctx, const community_access& access,
                                        const db::channel_row& channel, slash_command cmd) {
    if (cmd.what == slash_command::kind::none) co_return;
    std::string reply;
    try {
        reply = co_await reply_to(ctx, access, channel, cmd);
    } catch (const boost::system::system_error& e) {
        // The command's own query failed; say so in the channel rather than leave it unanswered.
        ctx.svc.log.warn("command_failed", {{"id", ctx.info.id}, {"command", cmd.name}, {"error", e.what()}});
        reply = "Sorry, /" + cmd.name + " failed: the database did not answer. Try again.";
    }
    if (reply.empty()) co_return;
    auto posted = co_await db::post_system_message(ctx.svc.db, channel.id, std::move(reply));
    if (!posted)
        ctx.svc.log.warn("command_reply_failed",
                         {{"id", ctx.info.id}, {"command", cmd.name}, {"error", posted.error().message()}});
}

} // namespace eelchat::routes
