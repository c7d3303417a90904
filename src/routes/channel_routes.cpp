// Channels: creating one (a name, public or private), deleting it, renaming it and setting its topic,
// choosing who is in a private channel, and starting a direct conversation. Who may do which is
// conversations/permissions.hpp's decision; a private channel or direct conversation the member is not
// in is a 404 from the channel guard before any of this runs.
#include "conversations/names.hpp"
#include "conversations/permissions.hpp"
#include "core/crypto.hpp"
#include "db/channel_store.hpp"
#include "db/chat_store.hpp"
#include "limits/guards.hpp"
#include "render/page.hpp"
#include "routes/forms.hpp"
#include "routes/guards.hpp"
#include "routes/responses.hpp"
#include "routes/routes.hpp"
#include "routes/session.hpp"
#include "routes/shell.hpp"

#include <algorithm>

namespace eelchat::routes {

namespace asio = boost::asio;

namespace {

constexpr std::string_view bad_name =
    "A name has 1 to 80 characters on one line, without control or text-direction characters.";

std::string new_channel_form(request_context& ctx, const community_access& access, std::string_view typed,
                             bool is_private, std::string_view error) {
    render::data d;
    d.set("csrf", ctx.session->csrf_token);
    d.set("community_id", access.community.id);
    d.set("placeholder", random_title("Channel"));
    d.set("typed", std::string(typed));
    d.set("private", is_private);
    d.set("error", std::string(error));
    return ctx.svc.pages.tpl().render("new_channel", d);
}

std::string settings_form(request_context& ctx, const std::string& href, std::string_view title,
                          std::string_view topic, std::string_view error) {
    render::data d;
    d.set("csrf", ctx.session->csrf_token);
    d.set("action", href + "/settings");
    d.set("title", std::string(title));
    d.set("with_topic", true);
    d.set("topic", std::string(topic));
    d.set("error", std::string(error));
    return ctx.svc.pages.tpl().render("rename", d);
}

// The checked members of a picker form, as valid membership ids.
std::vector<std::string> picked(const request_context& ctx) {
    std::vector<std::string> out;
    if (!ctx.form) return out;
    for (auto v : ctx.form->get_all("member"))
        if (auto id = crypto::normalize_uuid(v)) out.push_back(std::move(*id));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// A members picker: the community's members (without the viewer when `skip_me`), `checked` ticked.
asio::awaitable<db::result<std::string>> member_picker(request_context& ctx, const community_access& access,
                                                       std::string action, std::string legend,
                                                       std::string submit,
                                                       const std::vector<std::string>& checked, bool skip_me,
                                                       std::string_view error) {
    auto members = co_await db::community_members(ctx.svc.db, access.community.id);
    if (!members) co_return members.error();
    render::data d;
    d.set("csrf", ctx.session->csrf_token);
    d.set("action", std::move(action));
    d.set("legend", std::move(legend));
    d.set("submit", std::move(submit));
    d.set("error", std::string(error));
    render::data list{render::data::type::list};
    for (const auto& m : *members) {
        if (skip_me && m.membership_id == access.membership->id) continue;
        render::data item;
        item.set("id", m.membership_id);
        item.set("name", m.display_name.value_or("User " + m.membership_id.substr(0, 4)));
        item.set("checked", std::find(checked.begin(), checked.end(), m.membership_id) != checked.end());
        list.push_back(item);
    }
    d.set("members", list);
    co_return ctx.svc.pages.tpl().render("pick_members", d);
}

} // namespace

void add_channel_routes(router& r) {
    r.add(http::verb::get, "/community/:id/channel/new",
          with_community([](request_context& ctx, signed_in_user& user,
                            community_access& access) -> asio::awaitable<net::http_response> {
              if (!access.admin()) co_return forbidden(ctx);
              co_return co_await dialog_response(ctx, user, "New channel",
                                                 new_channel_form(ctx, access, "", false, ""), true);
          }));

    r.add(http::verb::post, "/community/:id/channel",
          with_community([](request_context& ctx, signed_in_user& user,
                            community_access& access) -> asio::awaitable<net::http_response> {
              if (!access.admin()) co_return forbidden(ctx);
              const std::string typed = field(ctx, "title");
              const bool is_private = field(ctx, "private") == "1";
              auto checked = conversations::check_name(typed);
              if (checked.problem == conversations::name_problem::invalid) {
                  auto res = co_await dialog_response(
                      ctx, user, "New channel", new_channel_form(ctx, access, typed, is_private, bad_name),
                      true);
                  res.result(http::status::unprocessable_entity);
                  co_return res;
              }
              auto id = co_await db::create_channel(ctx.svc.db, access.community.id,
                                                    checked.name.value_or(random_title("Channel")),
                                                    is_private, access.membership->id);
              if (!id) co_return database_failure(ctx, id.error());
              co_return redirect_response(channel_url(access.community.id, *id));
          }));

    r.add(http::verb::delete_, "/community/:id/channel/:cid",
          with_channel([](request_context& ctx, signed_in_user&, community_access& access,
                          db::channel_row& channel) -> asio::awaitable<net::http_response> {
              if (!conversations::may_delete_channel(channel.kind, access.reader())) co_return forbidden(ctx);
              auto deleted = co_await db::delete_channel(ctx.svc.db, access.community.id, channel.id);
              if (!deleted) co_return database_failure(ctx, deleted.error());
              ctx.svc.log.info("channel_deleted", {{"id", ctx.info.id}, {"channel", channel.id}});
              // An empty body: htmx swaps the channel's row out of the sidebar.
              co_return html_response(http::status::ok, "");
          }));

    r.add(http::verb::get, "/community/:id/channel/:cid/settings",
          with_channel([](request_context& ctx, signed_in_user& user, community_access& access,
                          db::channel_row& channel) -> asio::awaitable<net::http_response> {
              if (!conversations::may_rename(channel.kind, access.reader())) co_return forbidden(ctx);
              co_return co_await dialog_response(ctx, user, "Channel settings",
                                                 settings_form(ctx,
                                                               channel_url(access.community.id, channel.id),
                                                               channel.title, channel.topic, ""));
          }));

    r.add(http::verb::post, "/community/:id/channel/:cid/settings",
          with_channel([](request_context& ctx, signed_in_user& user, community_access& access,
                          db::channel_row& channel) -> asio::awaitable<net::http_response> {
              if (!conversations::may_rename(channel.kind, access.reader())) co_return forbidden(ctx);
              const std::string href = channel_url(access.community.id, channel.id);
              const std::string typed = field(ctx, "title");
              const std::string typed_topic = field(ctx, "topic");
              auto checked = conversations::check_name(typed);
              auto topic = conversations::check_topic(typed_topic);
              if (!checked.name || !topic) {
                  std::string_view why =
                      !checked.name ? (checked.problem == conversations::name_problem::empty ? "Type a name."
                                                                                             : bad_name)
                                    : "A topic has up to 250 characters on one line.";
                  auto res = co_await dialog_response(ctx, user, "Channel settings",
                                                      settings_form(ctx, href, typed, typed_topic, why));
                  res.result(http::status::unprocessable_entity);
                  co_return res;
              }
              auto renamed = co_await db::rename_channel(ctx.svc.db, access.community.id, channel.id,
                                                         *checked.name, *topic);
              if (!renamed) co_return database_failure(ctx, renamed.error());
              ctx.svc.log.info("channel_renamed", {{"id", ctx.info.id}, {"channel", channel.id}});
              co_return redirect_response(href);
          }));

    r.add(http::verb::get, "/community/:id/channel/:cid/members",
          with_channel([](request_context& ctx, signed_in_user& user, community_access& access,
                          db::channel_row& channel) -> asio::awaitable<net::http_response> {
              if (!conversations::may_choose_members(channel.kind, access.reader())) co_return forbidden(ctx);
              auto current = co_await db::channel_member_ids(ctx.svc.db, channel.id);
              if (!current) co_return database_failure(ctx, current.error());
              auto html = co_await member_picker(ctx, access,
                                                 channel_url(access.community.id, channel.id) + "/members",
                                                 "Who is in " + channel.title, "Save", *current, false, "");
              if (!html) co_return database_failure(ctx, html.error());
              co_return co_await dialog_response(ctx, user, "Members of " + channel.title, std::move(*html));
          }));

    r.add(http::verb::post, "/community/:id/channel/:cid/members",
          with_channel([](request_context& ctx, signed_in_user&, community_access& access,
                          db::channel_row& channel) -> asio::awaitable<net::http_response> {
              if (!conversations::may_choose_members(channel.kind, access.reader())) co_return forbidden(ctx);
              auto members = picked(ctx);
              // The admin who saves stays in: leaving a private channel is not done by unticking oneself
              // here.
              if (std::find(members.begin(), members.end(), access.membership->id) == members.end())
                  members.push_back(access.membership->id);
              auto saved =
                  co_await db::set_channel_members(ctx.svc.db, access.community.id, channel.id, members);
              if (!saved) co_return database_failure(ctx, saved.error());
              co_return redirect_response(channel_url(access.community.id, channel.id));
          }));

    r.add(http::verb::get, "/community/:id/direct/new",
          with_community([](request_context& ctx, signed_in_user& user,
                            community_access& access) -> asio::awaitable<net::http_response> {
              if (!access.membership) co_return forbidden(ctx);
              auto html = co_await member_picker(ctx, access, community_url(access.community.id) + "/direct",
                                                 "Who to talk with", "Start", {}, true, "");
              if (!html) co_return database_failure(ctx, html.error());
              co_return co_await dialog_response(ctx, user, "New direct message", std::move(*html), true);
          }));

    r.add(http::verb::post, "/community/:id/direct",
          with_community([](request_context& ctx, signed_in_user& user,
                            community_access& access) -> asio::awaitable<net::http_response> {
              if (!access.membership) co_return forbidden(ctx);
              auto people = picked(ctx);
              std::erase(people, access.membership->id);
              const auto max_people = ctx.svc.limits.cfg.direct_max_people;
              std::string why;
              if (people.empty())
                  why = "Pick at least one person.";
              else if (people.size() + 1 > max_people)
                  why = "A direct conversation has at most " + std::to_string(max_people) +
                        " people, you included.";
              if (!why.empty()) {
                  auto html =
                      co_await member_picker(ctx, access, community_url(access.community.id) + "/direct",
                                             "Who to talk with", "Start", people, true, why);
                  if (!html) co_return database_failure(ctx, html.error());
                  auto res =
                      co_await dialog_response(ctx, user, "New direct message", std::move(*html), true);
                  res.result(http::status::unprocessable_entity);
                  co_return res;
              }
              people.push_back(access.membership->id);
              auto id = co_await db::open_direct(ctx.svc.db, access.community.id, std::move(people));
              if (!id) co_return database_failure(ctx, id.error());
              if (!*id) co_return error_page(ctx.svc.pages, http::status::unprocessable_entity);
              co_return redirect_response(channel_url(access.community.id, **id));
          }));
}

} // namespace eelchat::routes
