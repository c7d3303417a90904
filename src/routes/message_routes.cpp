// A message's own actions, under /community/:id/channel/:cid/message/:mid: the edit box and saving an
// edit, deleting, the reaction picker and toggling a reaction, and the thread beside the channel. Each
// starts from the channel guard (a member who may read the channel), then loads the message and asks
// conversations/permissions.hpp whether this member may do it. Changes answer with little or nothing:
// what changed reaches every open page, this one included, as an event of the channel's history.
#include "conversations/names.hpp"
#include "conversations/permissions.hpp"
#include "core/crypto.hpp"
#include "core/text.hpp"
#include "db/attention_store.hpp"
#include "db/message_store.hpp"
#include "limits/guards.hpp"
#include "render/markdown.hpp"
#include "render/messages.hpp"
#include "render/page.hpp"
#include "routes/guards.hpp"
#include "routes/posting.hpp"
#include "routes/responses.hpp"
#include "routes/routes.hpp"
#include "routes/session.hpp"
#include "routes/shell.hpp"
#include "uploads/garbage.hpp"

namespace eelchat::routes {

namespace asio = boost::asio;

namespace {

constexpr int thread_page = 200;
constexpr std::string_view common_emoji[] = {"👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀", "✅", "🚀"};

struct message_access {
    community_access& access;
    db::channel_row& channel;
    db::message_row message;
    std::string href; // the channel's address
};

// The channel guard, then the message :mid of that channel (404 when malformed or not there).
template <class F> auto with_message(F f) {
    return with_channel([f](request_context& ctx, signed_in_user& user, community_access& access,
                            db::channel_row& channel) -> asio::awaitable<net::http_response> {
        auto mid = crypto::normalize_uuid(ctx.params.get("mid"));
        if (!mid) co_return not_found(ctx);
        auto found = co_await db::find_message(ctx.svc.db, channel.id, *mid);
        if (!found) co_return database_failure(ctx, found.error());
        if (!*found) co_return not_found(ctx);
        message_access m{access, channel, std::move(**found), channel_url(access.community.id, channel.id)};
        co_return co_await f(ctx, user, m);
    });
}

std::string edit_form(render::templates& tpl, const message_access& m, std::string_view text,
                      std::string_view error) {
    render::data d;
    d.set("href", m.href);
    d.set("id", m.message.id);
    d.set("seq", std::to_string(m.message.seq));
    d.set("text", std::string(text));
    d.set("error", std::string(error));
    return tpl.render("edit_message", d);
}

std::string picker(render::templates& tpl, const message_access& m, std::string_view typed,
                   std::string_view error) {
    render::data d;
    d.set("href", m.href);
    d.set("id", m.message.id);
    d.set("seq", std::to_string(m.message.seq));
    d.set("typed", std::string(typed));
    d.set("error", std::string(error));
    render::data choices{render::data::type::list};
    for (auto e : common_emoji) {
        render::data c;
        c.set("emoji", std::string(e));
        choices.push_back(c);
    }
    d.set("choices", choices);
    return tpl.render("reaction_picker", d);
}

net::http_response unprocessable(std::string html) {
    return html_response(http::status::unprocessable_entity, std::move(html));
}

asio::awaitable<net::http_response> save_edit(request_context& ctx, const signed_in_user& user,
                                              message_access& m) {
    auto& tpl = ctx.svc.pages.tpl();
    if (!conversations::may_edit(m.message, m.access.membership->id)) co_return forbidden(ctx);
    const std::string text = text::normalize_newlines(field(ctx, "text"));
    if (auto p = text::check_message_text(text); p != text::message_problem::none)
        co_return unprocessable(edit_form(tpl, m, text, message_problem_text(p)));
    if (auto refusal = take_change_allowance(ctx, user)) {
        auto res = unprocessable(edit_form(tpl, m, text, refusal->text));
        res.result(http::status::too_many_requests);
        res.set(http::field::retry_after, refusal->retry_after);
        co_return res;
    }
    auto rendered = co_await render_with_mentions(ctx, m.access, m.channel, text);
    if (!rendered) co_return database_failure(ctx, rendered.error());
    if (!rendered->refusal.empty()) co_return unprocessable(edit_form(tpl, m, text, rendered->refusal));
    auto saved =
        co_await db::edit_message(ctx.svc.db, m.channel.id, m.message.id, text, std::move(rendered->html),
                                  std::move(rendered->mentions), rendered->mention_channel);
    if (!saved) co_return database_failure(ctx, saved.error());
    if (!*saved) co_return not_found(ctx);
    ctx.svc.log.info("message_edited",
                     {{"id", ctx.info.id}, {"channel", m.channel.id}, {"message", m.message.id}});
    // The message as it is now, for this page at once; the event brings the same to every page.
    auto now = co_await db::find_message(ctx.svc.db, m.channel.id, m.message.id);
    if (!now) co_return database_failure(ctx, now.error());
    if (!*now) co_return html_response(http::status::ok, "");
    co_return html_response(http::status::ok, render::render_message(tpl, **now, m.href));
}

asio::awaitable<net::http_response> toggle(request_context& ctx, const signed_in_user& user,
                                           message_access& m) {
    auto& tpl = ctx.svc.pages.tpl();
    const bool from_picker = field(ctx, "from") == "picker";
    const std::string typed = field(ctx, "emoji");
    auto refuse = [&](std::string_view why) {
        return from_picker ? unprocessable(picker(tpl, m, typed, why)) : unprocessable(std::string());
    };
    if (m.message.deleted) co_return refuse("That message was deleted.");
    auto emoji = conversations::clean_emoji(typed);
    if (!emoji) co_return refuse("Type one emoji, such as 🎉.");
    if (auto refusal = take_change_allowance(ctx, user)) {
        auto res = refuse(refusal->text);
        res.result(http::status::too_many_requests);
        res.set(http::field::retry_after, refusal->retry_after);
        co_return res;
    }
    auto r =
        co_await db::toggle_reaction(ctx.svc.db, m.channel.id, m.message.id, m.access.membership->id, *emoji,
                                     static_cast<int>(ctx.svc.limits.cfg.reaction_kinds_per_message));
    if (!r) co_return database_failure(ctx, r.error());
    switch (*r) {
    case db::reaction_outcome::no_message:
        co_return refuse("That message was deleted.");
    case db::reaction_outcome::too_many_kinds:
        co_return refuse("This message has as many different reactions as it can have. Add one of those.");
    case db::reaction_outcome::added:
    case db::reaction_outcome::removed:
        break;
    }
    // An empty answer: the picker (if that is where it came from) closes, the event shows the reaction.
    co_return html_response(http::status::ok, "");
}

asio::awaitable<net::http_response> thread(request_context& ctx, const signed_in_user&, message_access& m) {
    auto& tpl = ctx.svc.pages.tpl();
    auto t = co_await db::thread_messages(ctx.svc.db, m.channel.id, m.message.id, thread_page);
    if (!t) co_return database_failure(ctx, t.error());
    if (!*t) co_return not_found(ctx); // a reply has no thread of its own
    const auto& parent = (*t)->parent;
    render::data d;
    d.set("href", m.href);
    d.set("id", parent.id);
    d.set("seq", std::to_string(parent.seq));
    d.set("author", render::author_label(parent));
    d.set("iso", parent.created_iso);
    d.set("time", parent.created_label);
    d.set("deleted", parent.deleted);
    if (parent.html) d.set("html", *parent.html);
    d.set("text", parent.text);
    d.set("replies_html", render::render_messages(tpl, (*t)->replies, m.href));
    d.set("client_id_input", client_id_input(tpl, "thread-", false));
    d.set("compose_error_html", compose_error(tpl, "thread-", "", false));
    d.set("upload_url", m.href + "/uploads");
    d.set("upload_max_bytes", std::to_string(upload_max_bytes(ctx)));
    co_return html_response(http::status::ok, tpl.render("thread", d));
}

} // namespace

void add_message_routes(router& r) {
    const std::string base = "/community/:id/channel/:cid/message/:mid";

    r.add(http::verb::get, base + "/edit",
          with_message([](request_context& ctx, signed_in_user&,
                          message_access& m) -> asio::awaitable<net::http_response> {
              if (!conversations::may_edit(m.message, m.access.membership->id)) co_return forbidden(ctx);
              co_return html_response(http::status::ok,
                                      edit_form(ctx.svc.pages.tpl(), m, m.message.text, ""));
          }));

    r.add(http::verb::post, base, with_message(save_edit));

    r.add(http::verb::delete_, base,
          with_message([](request_context& ctx, signed_in_user& user,
                          message_access& m) -> asio::awaitable<net::http_response> {
              if (!conversations::may_delete(m.message, m.access.membership->id, m.access.admin()))
                  co_return forbidden(ctx);
              if (auto refusal = take_change_allowance(ctx, user)) {
                  auto res = text_response(http::status::too_many_requests, refusal->text + "\n");
                  res.set(http::field::retry_after, refusal->retry_after);
                  co_return res;
              }
              auto deleted = co_await db::delete_message(ctx.svc.db, m.channel.id, m.message.id);
              if (!deleted) co_return database_failure(ctx, deleted.error());
              ctx.svc.log.info("message_deleted",
                               {{"id", ctx.info.id},
                                {"channel", m.channel.id},
                                {"message", m.message.id},
                                {"by_admin", m.message.membership_id != m.access.membership->id}});
              // Its files' bytes go now (housekeeping retries whatever this misses).
              if (*deleted && !m.message.attachments.empty() && ctx.svc.files)
                  co_await uploads::collect_garbage(ctx.svc.db, *ctx.svc.files);
              co_return html_response(http::status::ok, "");
          }));

    r.add(http::verb::get, base + "/react",
          with_message([](request_context& ctx, signed_in_user&,
                          message_access& m) -> asio::awaitable<net::http_response> {
              if (m.message.deleted) co_return not_found(ctx);
              co_return html_response(http::status::ok, picker(ctx.svc.pages.tpl(), m, "", ""));
          }));

    r.add(http::verb::post, base + "/reactions", with_message(toggle));

    r.add(http::verb::get, base + "/thread", with_message(thread));

    // Mark as unread: the reader's marker goes back to just before this message; every page of theirs
    // shows the channel unread again (the announcement carries the counts).
    r.add(http::verb::post, base + "/unread",
          with_message([](request_context& ctx, signed_in_user&,
                          message_access& m) -> asio::awaitable<net::http_response> {
              auto moved =
                  co_await db::set_read_marker(ctx.svc.db, m.access.community.id, m.access.membership->id,
                                               m.channel.id, m.message.seq - 1, true);
              if (!moved) co_return database_failure(ctx, moved.error());
              if (!*moved) co_return not_found(ctx);
              if (!is_htmx(ctx)) co_return redirect_response(m.href);
              co_return html_response(http::status::ok, "");
          }));
}

} // namespace eelchat::routes
