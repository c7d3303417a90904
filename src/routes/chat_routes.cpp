// The signed-in app: the shell, communities, channels, messages and the profile page. Every route
// starts from the guards (signed in, then community, then channel membership), so authorization reads
// in one place per route.
#include "core/crypto.hpp"
#include "core/text.hpp"
#include "db/auth_store.hpp"
#include "db/chat_store.hpp"
#include "db/message_batcher.hpp"
#include "db/params.hpp"
#include "feeds/commands.hpp"
#include "limits/guards.hpp"
#include "render/messages.hpp"
#include "render/page.hpp"
#include "routes/forms.hpp"
#include "routes/guards.hpp"
#include "routes/responses.hpp"
#include "routes/routes.hpp"
#include "routes/session.hpp"

namespace eelchat::routes {

namespace asio = boost::asio;

namespace {

constexpr int page_size = 50;

std::string field(const request_context& ctx, std::string_view name) {
    return ctx.form ? std::string(ctx.form->get(name).value_or("")) : std::string();
}

bool is_htmx(const request_context& ctx) {
    return ctx.req["HX-Request"] == "true";
}

std::string community_url(const std::string& id) {
    return "/community/" + id;
}
std::string channel_url(const std::string& community_id, const std::string& channel_id) {
    return "/community/" + community_id + "/channel/" + channel_id;
}

// What the app shell shows around a page's main column.
struct shell {
    std::string title = "eelchat";
    const community_access* access = nullptr;
    std::vector<db::channel_row> channels;
    std::string active_channel;
    std::string main_html;
};

asio::awaitable<net::http_response> render_shell(request_context& ctx, const signed_in_user& user, shell s) {
    auto memberships = co_await db::list_memberships(ctx.svc.db, user.id);
    if (!memberships) co_return database_failure(ctx, memberships.error());
    const std::string& csrf = ctx.session->csrf_token;
    render::data d;
    render::data communities{render::data::type::list};
    for (const auto& m : *memberships) {
        render::data c;
        c.set("id", m.community_id);
        c.set("title", m.community_title);
        c.set("selected", s.access && s.access->community.id == m.community_id);
        communities.push_back(c);
    }
    d.set("communities", communities);
    if (s.access && s.access->membership) {
        render::data channels{render::data::type::list};
        for (const auto& ch : s.channels) {
            render::data c;
            c.set("id", ch.id);
            c.set("title", ch.title);
            c.set("community_id", s.access->community.id);
            c.set("active", ch.id == s.active_channel);
            c.set("admin", s.access->admin());
            channels.push_back(c);
        }
        d.set("channels", channels);
        d.set("community_admin", s.access->admin());
        d.set("community_id", s.access->community.id);
    }
    d.set("email", user.email);
    d.set("csrf", csrf);
    d.set("main", s.main_html);
    co_return html_response(http::status::ok, ctx.svc.pages.page(s.title, "app_shell", std::move(d), csrf));
}

std::string random_title(std::string_view prefix) {
    std::byte b[2];
    crypto::random_bytes(b);
    const unsigned n = (static_cast<unsigned>(b[0]) << 8 | static_cast<unsigned>(b[1])) % 1000;
    return std::string(prefix) + " #" + std::to_string(n);
}

std::string client_id_input(render::templates& tpl, bool oob) {
    render::data d;
    d.set("client_id", crypto::new_uuid());
    d.set("oob", oob);
    return tpl.render("client_id_input", d);
}

std::string compose_error(render::templates& tpl, std::string_view error, bool oob) {
    render::data d;
    d.set("error", std::string(error));
    d.set("oob", oob);
    return tpl.render("compose_error", d);
}

// The history fragment: up to page_size messages before `before` (newest when nullopt), preceded by a
// sentinel that loads the page before it when scrolled into view.
asio::awaitable<db::result<std::string>> history_fragment(request_context& ctx,
                                                          const community_access& access,
                                                          const db::channel_row& channel,
                                                          std::optional<std::int64_t> before) {
    auto rows = co_await db::recent_messages(ctx.svc.db, channel.id, before, page_size + 1);
    if (!rows) co_return rows.error();
    const bool more = rows->size() > static_cast<std::size_t>(page_size);
    std::span<const db::message_row> shown(*rows);
    if (more) shown = shown.subspan(1);
    auto& tpl = ctx.svc.pages.tpl();
    render::data d;
    if (more)
        d.set("older_url", channel_url(access.community.id, channel.id) +
                               "/messages?before=" + std::to_string(shown.front().seq));
    d.set("show_start", !shown.empty() || !before);
    d.set("channel_title", channel.title);
    d.set("messages_html", render::render_messages(tpl, shown));
    co_return tpl.render("older_messages", d);
}

asio::awaitable<net::http_response> channel_page(request_context& ctx, const signed_in_user& user,
                                                 const community_access& access,
                                                 const db::channel_row& channel) {
    auto channels = co_await db::list_channels(ctx.svc.db, access.community.id);
    if (!channels) co_return database_failure(ctx, channels.error());
    auto history = co_await history_fragment(ctx, access, channel, std::nullopt);
    if (!history) co_return database_failure(ctx, history.error());
    auto& tpl = ctx.svc.pages.tpl();
    render::data d;
    d.set("href", channel_url(access.community.id, channel.id));
    d.set("csrf", ctx.session->csrf_token);
    d.set("channel_title", channel.title);
    d.set("history_html", *history);
    d.set("client_id_input", client_id_input(tpl, false));
    d.set("compose_error_html", compose_error(tpl, "", false));
    shell s;
    s.title = channel.title + " | " + access.community.title + " | eelchat";
    s.access = &access;
    s.channels = std::move(*channels);
    s.active_channel = channel.id;
    s.main_html = tpl.render("channel", d);
    co_return co_await render_shell(ctx, user, std::move(s));
}

std::string_view message_problem_text(text::message_problem p) {
    switch (p) {
    case text::message_problem::empty:
        return "Type a message first: empty messages are not sent.";
    case text::message_problem::too_long:
        return "That message is too long: the limit is 4,000 characters.";
    case text::message_problem::invalid_utf8:
        return "That message contains invalid text encoding.";
    case text::message_problem::direction_controls:
        return "That message contains invisible text-direction controls (such as U+202E), which can disguise "
               "what it says. Remove them and send it again.";
    case text::message_problem::none:
        break;
    }
    return "";
}

// The posting limits of limits/settings.hpp, the user's first: a refusal charges nothing else.
limits::rate_limiter::verdict take_post_allowance(request_context& ctx, const signed_in_user& user) {
    auto& l = ctx.svc.limits;
    auto by_user = l.posts_by_user.take(user.id);
    if (!by_user.allowed) return by_user;
    return l.posts_by_address.take(client_bucket(ctx));
}

std::string too_fast_text(std::chrono::seconds wait) {
    const long s = std::max<long>(1, wait.count());
    return "You are sending messages too fast. Wait " + std::to_string(s) +
           (s == 1 ? " second" : " seconds") + ", then send it again.";
}

asio::awaitable<net::http_response> post_message(request_context& ctx, const signed_in_user& user,
                                                 const community_access& access,
                                                 const db::channel_row& channel) {
    auto& tpl = ctx.svc.pages.tpl();
    const std::string back = channel_url(access.community.id, channel.id);
    auto refuse = [&](std::string_view why) {
        if (!is_htmx(ctx)) return error_page(ctx.svc.pages, http::status::unprocessable_entity);
        // Only the error line changes; the typed text stays in the box to be fixed.
        net::http_response res =
            html_response(http::status::unprocessable_entity, compose_error(tpl, why, true));
        return res;
    };
    const std::string text = text::normalize_newlines(field(ctx, "text"));
    if (auto p = text::check_message_text(text); p != text::message_problem::none)
        co_return refuse(message_problem_text(p));
    auto client_id = crypto::normalize_uuid(field(ctx, "client_id"));
    if (!client_id) co_return refuse("This page is out of date. Reload it and send your message again.");
    if (auto allowance = take_post_allowance(ctx, user); !allowance.allowed) {
        ctx.svc.log.info("message_rate_limited", {{"id", ctx.info.id}, {"user", user.id}});
        net::http_response res =
            is_htmx(ctx) ? html_response(http::status::too_many_requests,
                                         compose_error(tpl, too_fast_text(allowance.retry_after), true))
                         : error_page(ctx.svc.pages, http::status::too_many_requests);
        res.set(http::field::retry_after, std::to_string(std::max<long>(1, allowance.retry_after.count())));
        co_return res;
    }

    auto posted = co_await ctx.svc.messages.post(channel.id, access.membership->id, text, *client_id);
    if (!posted) {
        if (posted.error() == db::sqlstate::foreign_key_violation) co_return not_found(ctx);
        co_return database_failure(ctx, posted.error());
    }
    ctx.svc.log.info("message_posted", {{"id", ctx.info.id},
                                        {"channel", channel.id},
                                        {"seq", posted->seq},
                                        {"duplicate", posted->duplicate}});
    // A command runs once, however often the form is retried; its reply is numbered after the message.
    if (!posted->duplicate) {
        auto command = feeds::parse_slash_command(text);
        if (command.what != feeds::slash_command::kind::none) {
            feeds::command_context where{ctx.svc.db, ctx.svc.log, ctx.info.id, channel.id};
            where.user_id = user.id;
            where.admin = access.admin();
            where.allow_private = ctx.svc.cfg.feeds_allow_private;
            where.poller = ctx.svc.feeds;
            where.max_per_channel = static_cast<int>(ctx.svc.limits.cfg.feeds_per_channel);
            where.max_per_user = static_cast<int>(ctx.svc.limits.cfg.feeds_per_user);
            co_await feeds::run_slash_command(where, std::move(command));
        }
    }
    if (!is_htmx(ctx)) co_return redirect_response(back);
    // No body for the message list: the message itself arrives like everyone else's. A fresh client id
    // for the next message, and the error line cleared.
    co_return html_response(http::status::ok, client_id_input(tpl, true) + compose_error(tpl, "", true));
}

} // namespace

void add_chat_routes(router& r) {
    r.add(http::verb::get, "/app", with_user([](request_context& ctx, signed_in_user& user) {
              shell s;
              s.main_html = ctx.svc.pages.tpl().render("app_home", {});
              return render_shell(ctx, user, std::move(s));
          }));

    r.add(http::verb::post, "/community",
          with_user([](request_context& ctx, signed_in_user& user) -> asio::awaitable<net::http_response> {
              auto id = co_await db::create_community(ctx.svc.db, user.id, random_title("Community"));
              if (!id) co_return database_failure(ctx, id.error());
              co_return redirect_response(community_url(*id));
          }));

    r.add(http::verb::get, "/community/:id",
          with_community([](request_context& ctx, signed_in_user& user,
                            community_access& access) -> asio::awaitable<net::http_response> {
              std::vector<db::channel_row> channels;
              if (access.membership) {
                  auto listed = co_await db::list_channels(ctx.svc.db, access.community.id);
                  if (!listed) co_return database_failure(ctx, listed.error());
                  channels = std::move(*listed);
              }
              render::data d;
              d.set("id", access.community.id);
              d.set("title", access.community.title);
              d.set("member", access.membership.has_value());
              d.set("admin", access.admin());
              d.set("has_channels", !channels.empty());
              d.set("url", ctx.svc.cfg.base_url + community_url(access.community.id));
              d.set("csrf", ctx.session->csrf_token);
              shell s;
              s.title = access.community.title + " | eelchat";
              s.access = &access;
              s.channels = std::move(channels);
              s.main_html = ctx.svc.pages.tpl().render("community", d);
              co_return co_await render_shell(ctx, user, std::move(s));
          }));

    r.add(http::verb::post, "/community/:id/join",
          with_community([](request_context& ctx, signed_in_user& user,
                            community_access& access) -> asio::awaitable<net::http_response> {
              auto joined = co_await db::join_community(ctx.svc.db, user.id, access.community.id);
              if (!joined) co_return database_failure(ctx, joined.error());
              co_return redirect_response(community_url(access.community.id));
          }));

    r.add(http::verb::post, "/community/:id/channel",
          with_community([](request_context& ctx, signed_in_user&,
                            community_access& access) -> asio::awaitable<net::http_response> {
              if (!access.admin()) co_return forbidden(ctx);
              auto id = co_await db::create_channel(ctx.svc.db, access.community.id, random_title("Channel"));
              if (!id) co_return database_failure(ctx, id.error());
              co_return redirect_response(channel_url(access.community.id, *id));
          }));

    r.add(http::verb::get, "/community/:id/channel/:cid",
          with_channel([](request_context& ctx, signed_in_user& user, community_access& access,
                          db::channel_row& channel) { return channel_page(ctx, user, access, channel); }));

    r.add(http::verb::get, "/community/:id/channel/:cid/messages",
          with_channel([](request_context& ctx, signed_in_user&, community_access& access,
                          db::channel_row& channel) -> asio::awaitable<net::http_response> {
              std::string_view target = ctx.req.target();
              auto q = target.find('?');
              auto query = form_data::parse(q == std::string_view::npos ? "" : target.substr(q + 1));
              auto before = query ? db::to_int(query->get("before").value_or("")) : std::nullopt;
              if (!before || *before < 1) co_return error_page(ctx.svc.pages, http::status::bad_request);
              auto fragment = co_await history_fragment(ctx, access, channel, *before);
              if (!fragment) co_return database_failure(ctx, fragment.error());
              co_return html_response(http::status::ok, std::move(*fragment));
          }));

    r.add(http::verb::post, "/community/:id/channel/:cid",
          with_channel([](request_context& ctx, signed_in_user& user, community_access& access,
                          db::channel_row& channel) { return post_message(ctx, user, access, channel); }));

    r.add(http::verb::delete_, "/community/:id/channel/:cid",
          with_channel([](request_context& ctx, signed_in_user&, community_access& access,
                          db::channel_row& channel) -> asio::awaitable<net::http_response> {
              if (!access.admin()) co_return forbidden(ctx);
              auto deleted = co_await db::delete_channel(ctx.svc.db, access.community.id, channel.id);
              if (!deleted) co_return database_failure(ctx, deleted.error());
              ctx.svc.log.info("channel_deleted", {{"id", ctx.info.id}, {"channel", channel.id}});
              // An empty body: htmx swaps the channel's row out of the sidebar.
              co_return html_response(http::status::ok, "");
          }));

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
