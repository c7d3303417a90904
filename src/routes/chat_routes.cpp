// The signed-in app's reading side: the home page, a channel's page with its newest messages, older
// pages of history, posting (routes/posting.cpp), and the profile page. Every route starts from the
// guards (signed in, then community, then a channel the member may read), so authorization reads in one
// place per route.
#include "core/crypto.hpp"
#include "core/text.hpp"
#include "db/attention_store.hpp"
#include "db/auth_store.hpp"
#include "db/channel_store.hpp"
#include "db/message_store.hpp"
#include "db/params.hpp"
#include "db/push_store.hpp"
#include "render/channels.hpp"
#include "render/messages.hpp"
#include "render/page.hpp"
#include "routes/forms.hpp"
#include "routes/guards.hpp"
#include "routes/message_context.hpp"
#include "routes/posting.hpp"
#include "routes/responses.hpp"
#include "routes/routes.hpp"
#include "routes/session.hpp"
#include "routes/shell.hpp"

namespace eelchat::routes {

namespace asio = boost::asio;

namespace {

constexpr int page_size = 50;
constexpr std::int64_t max_page_size = 200; // a page reaching back to the first unread message

// The history fragment: up to page_size messages before `before` (newest when nullopt), preceded by a
// sentinel that loads the page before it when scrolled into view; and where the channel's history stood
// when they were read (the page's cursor).
struct history {
    std::string html;
    std::int64_t last_seq = 0;
};
// `new_after`: the reader's marker; a "New" line goes above the first message after it by someone else.
// `size`: how many messages (more than page_size to reach the first unread one).
asio::awaitable<db::result<history>> history_fragment(request_context& ctx, const community_access& access,
                                                      const db::channel_row& channel,
                                                      std::optional<std::int64_t> before,
                                                      std::optional<std::int64_t> new_after = std::nullopt,
                                                      int size = page_size) {
    auto page = co_await db::recent_messages(ctx.svc.db, channel.id, before, size + 1);
    if (!page) co_return page.error();
    auto& rows = page->messages;
    const bool more = rows.size() > static_cast<std::size_t>(size);
    std::span<const db::message_row> shown(rows);
    if (more) shown = shown.subspan(1);
    auto& tpl = ctx.svc.pages.tpl();
    const std::string href = channel_url(access.community.id, channel.id);
    render::data d;
    if (more) d.set("older_url", href + "/messages?before=" + std::to_string(shown.front().seq));
    d.set("show_start", !shown.empty() || !before);
    d.set("channel_title", channel.title);
    std::size_t split = shown.size();
    if (new_after)
        for (std::size_t i = 0; i < shown.size(); ++i)
            if (shown[i].seq > *new_after && shown[i].membership_id != access.membership->id) {
                split = i;
                break;
            }
    if (split < shown.size())
        d.set("messages_html",
              render::render_messages(tpl, shown.subspan(0, split), href) +
                  "<div id=\"new-messages\" class=\"new-divider\" role=\"separator\">New</div>" +
                  render::render_messages(tpl, shown.subspan(split), href));
    else
        d.set("messages_html", render::render_messages(tpl, shown, href));
    co_return history{tpl.render("older_messages", d), page->last_seq};
}

// The choices of the "Notify me" menu, the member's own selected.
render::data notify_levels(bool direct, std::string_view chosen) {
    const std::pair<std::string_view, std::string_view> choices[] = {
        {"default", direct ? "About every message (default)" : "When mentioned (default)"},
        {"all", "About every message"},
        {"mentions", "Only when mentioned"},
        {"none", "Never"},
    };
    render::data list{render::data::type::list};
    for (auto [value, label] : choices) {
        render::data o;
        o.set("value", std::string(value));
        o.set("label", std::string(label));
        o.set("selected", value == (chosen.empty() ? std::string_view("default") : chosen));
        list.push_back(o);
    }
    return list;
}

asio::awaitable<net::http_response> channel_page(request_context& ctx, const signed_in_user& user,
                                                 const community_access& access, db::channel_row channel) {
    auto channels = co_await db::list_channels(ctx.svc.db, access.community.id, access.membership->id);
    if (!channels) co_return database_failure(ctx, channels.error());
    // A direct conversation is titled, for each of its people, by the others' names.
    for (const auto& ch : *channels)
        if (ch.id == channel.id) channel.title = ch.title;
    // Opened at a message (a search result): the messages around it (routes/message_context.hpp).
    std::optional<context_history> opened_at;
    if (auto at = crypto::normalize_uuid(query_value(ctx, "at"))) {
        auto c = co_await context_fragment(ctx, access, channel, *at);
        if (!c) co_return database_failure(ctx, c.error());
        opened_at = std::move(*c);
    }
    // Where the reader left off: the page starts far enough back to show the first unread message.
    auto marker = co_await db::read_marker_of(ctx.svc.db, channel.id, access.membership->id);
    if (!marker) co_return database_failure(ctx, marker.error());
    std::optional<std::int64_t> new_after = marker->seq;
    db::result<history> h = history{};
    if (opened_at) {
        h->html = std::move(opened_at->html);
        h->last_seq = opened_at->last_seq;
    } else {
        h = co_await history_fragment(ctx, access, channel, std::nullopt, new_after, page_size);
    }
    if (!h) co_return database_failure(ctx, h.error());
    // Someone coming back reads on from where they were; someone new starts at the newest page.
    if (!opened_at && marker->saved && h->last_seq - marker->seq > page_size) {
        const int size =
            static_cast<int>(std::min<std::int64_t>(h->last_seq - *new_after + 1, max_page_size));
        h = co_await history_fragment(ctx, access, channel, std::nullopt, new_after, size);
        if (!h) co_return database_failure(ctx, h.error());
    }
    auto level = co_await db::notify_level_of(ctx.svc.db, channel.id, access.membership->id);
    if (!level) co_return database_failure(ctx, level.error());
    auto& tpl = ctx.svc.pages.tpl();
    const std::string href = channel_url(access.community.id, channel.id);
    render::data d;
    d.set("href", href);
    d.set("channel_id", channel.id);
    d.set("levels", notify_levels(channel.kind == "direct", *level));
    d.set("csrf", ctx.session->csrf_token);
    d.set("channel_title", channel.title);
    d.set("header_html", render::render_channel_header(tpl, channel, href));
    d.set("cursor", std::to_string(h->last_seq));
    d.set("history_html", h->html);
    d.set("client_id_input", client_id_input(tpl, "", false));
    d.set("compose_error_html", compose_error(tpl, "", "", false));
    d.set("upload_max_bytes", std::to_string(upload_max_bytes(ctx)));
    shell s;
    s.title = channel.title + " | " + access.community.title + " | eelchat";
    s.access = &access;
    s.channels = std::move(*channels);
    s.active_channel = channel.id;
    s.main_html = tpl.render("channel", d);
    co_return co_await render_shell(ctx, user, std::move(s));
}

} // namespace

void add_chat_routes(router& r) {
    r.add(http::verb::get, "/app", with_user([](request_context& ctx, signed_in_user& user) {
              shell s;
              s.main_html = ctx.svc.pages.tpl().render("app_home", {});
              return render_shell(ctx, user, std::move(s));
          }));

    r.add(http::verb::get, "/community/:id/channel/:cid",
          with_channel([](request_context& ctx, signed_in_user& user, community_access& access,
                          db::channel_row& channel) { return channel_page(ctx, user, access, channel); }));

    r.add(http::verb::get, "/community/:id/channel/:cid/messages",
          with_channel([](request_context& ctx, signed_in_user&, community_access& access,
                          db::channel_row& channel) -> asio::awaitable<net::http_response> {
              auto before = db::to_int(query_value(ctx, "before"));
              if (!before || *before < 1) co_return error_page(ctx.svc.pages, http::status::bad_request);
              auto fragment = co_await history_fragment(ctx, access, channel, *before);
              if (!fragment) co_return database_failure(ctx, fragment.error());
              co_return html_response(http::status::ok, std::move(fragment->html));
          }));

    r.add(http::verb::post, "/community/:id/channel/:cid",
          with_channel([](request_context& ctx, signed_in_user& user, community_access& access,
                          db::channel_row& channel) { return post_message(ctx, user, access, channel); }));

    r.add(http::verb::get, "/profile",
          with_user([](request_context& ctx, signed_in_user& user) -> asio::awaitable<net::http_response> {
              std::string_view target = ctx.req.target();
              render::data d;
              d.set("csrf", ctx.session->csrf_token);
              d.set("email", user.email);
              d.set("display_name", user.display_name.value_or(""));
              d.set("saved", target.ends_with("?saved=1"));
              if (target.ends_with("?error=invalid"))
                  d.set("error", "A display name has 1 to 50 characters, on one line.");
              if (target.ends_with("?error=reserved"))
                  d.set("error", "That name is reserved for eelchat's own messages. Choose another.");
              shell s;
              s.title = "Your profile | eelchat";
              s.main_html = ctx.svc.pages.tpl().render("profile", d);
              co_return co_await render_shell(ctx, user, std::move(s));
          }));

    r.add(http::verb::post, "/profile",
          with_user([](request_context& ctx, signed_in_user& user) -> asio::awaitable<net::http_response> {
              std::string typed = field(ctx, "display_name");
              std::optional<std::string> name;
              if (typed.find_first_not_of(" \t") != std::string::npos) {
                  name = text::clean_display_name(typed);
                  if (!name) co_return redirect_response("/profile?error=invalid");
                  if (text::is_reserved_display_name(*name))
                      co_return redirect_response("/profile?error=reserved");
              }
              auto saved = co_await db::set_display_name(ctx.svc.db, user.id, std::move(name));
              if (!saved) co_return database_failure(ctx, saved.error());
              co_return redirect_response("/profile?saved=1");
          }));
}

} // namespace eelchat::routes
