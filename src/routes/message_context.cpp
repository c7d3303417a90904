#include "routes/message_context.hpp"

#include "db/message_context.hpp"
#include "render/messages.hpp"
#include "render/page.hpp"
#include "routes/shell.hpp"

namespace eelchat::routes {

namespace asio = boost::asio;

namespace {
constexpr int context_before = 15;
constexpr int context_after = 15;
} // namespace

asio::awaitable<db::result<std::optional<context_history>>> context_fragment(request_context& ctx,
                                                                             const community_access& access,
                                                                             const db::channel_row& channel,
                                                                             std::string message_id) {
    auto around = co_await db::messages_around(ctx.svc.db, channel.id, std::move(message_id), context_before,
                                               context_after);
    if (!around) co_return around.error();
    if (!*around) co_return std::optional<context_history>();
    const auto& c = **around;
    auto& tpl = ctx.svc.pages.tpl();
    const std::string href = channel_url(access.community.id, channel.id);
    render::data d;
    if (c.older && !c.messages.empty())
        d.set("older_url", href + "/messages?before=" + std::to_string(c.messages.front().seq));
    d.set("show_start", true);
    d.set("channel_title", channel.title);
    d.set("messages_html", render::render_messages(tpl, c.messages, href));
    std::string html = tpl.render("older_messages", d);
    render::data note;
    note.set("seq", std::to_string(c.anchor_seq));
    note.set("href", href);
    note.set("newer", c.newer);
    html += tpl.render("message_context", note);
    co_return std::optional<context_history>(context_history{std::move(html), c.last_seq});
}

} // namespace eelchat::routes
