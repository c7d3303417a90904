// Communities: creating one (with a name), its page and joining it, renaming it, and its members page,
// where admins make other members admins or remove them (a removed member's pages of the community
// close at once, and they cannot join again).
#include "archive/transfer.hpp"
#include "conversations/names.hpp"
#include "db/attention_store.hpp"
#include "db/channel_store.hpp"
#include "db/chat_store.hpp"
#include "net/file_body.hpp"
#include "render/page.hpp"
#include "routes/guards.hpp"
#include "routes/responses.hpp"
#include "routes/routes.hpp"
#include "routes/session.hpp"
#include "routes/shell.hpp"
#include "uploads/storage.hpp"

#include "core/crypto.hpp"

namespace eelchat::routes {

namespace asio = boost::asio;

namespace {

// What an export needs of this worker's file storage: reading blobs, piece by piece (archive may not
// include uploads; the CLI's adapter in app/archive_commands.cpp also writes, for imports).
class export_files final : public archive::file_store {
public:
    explicit export_files(uploads::storage* s) : storage_(s) {}
    asio::awaitable<db::result<void>> read(std::string blob_id,
                                           std::function<void(std::string_view)> piece) override {
        if (!storage_) co_return make_error_code(boost::system::errc::operation_not_supported);
        auto reader = co_await storage_->open(std::move(blob_id));
        if (!reader) co_return reader.error();
        const auto size = (*reader)->size();
        for (std::int64_t at = 0; at < size;) {
            auto bytes = co_await (*reader)->read(at, 256 << 10);
            if (!bytes) co_return bytes.error();
            if (bytes->empty())
                co_return make_error_code(boost::system::errc::io_error); // shorter than it says
            at += static_cast<std::int64_t>(bytes->size());
            piece(*bytes);
        }
        co_return db::result<void>();
    }
    asio::awaitable<db::result<std::unique_ptr<archive::file_writer>>> begin(std::int64_t) override {
        co_return make_error_code(boost::system::errc::operation_not_supported);
    }
    asio::awaitable<db::result<void>> remove(std::string) override {
        co_return make_error_code(boost::system::errc::operation_not_supported);
    }

private:
    uploads::storage* storage_;
};

std::string_view name_problem_text(conversations::name_problem p) {
    return p == conversations::name_problem::invalid
               ? "A name has 1 to 80 characters on one line, without control or text-direction characters."
               : "";
}

std::string new_community_form(request_context& ctx, std::string_view typed, std::string_view error) {
    render::data d;
    d.set("csrf", ctx.session->csrf_token);
    d.set("placeholder", random_title("Community"));
    d.set("typed", std::string(typed));
    d.set("error", std::string(error));
    return ctx.svc.pages.tpl().render("new_community", d);
}

std::string rename_form(request_context& ctx, const community_access& access, std::string_view typed,
                        std::string_view error) {
    render::data d;
    d.set("csrf", ctx.session->csrf_token);
    d.set("action", community_url(access.community.id) + "/settings");
    d.set("title", std::string(typed));
    d.set("error", std::string(error));
    d.set("with_mention_setting", true);
    d.set("export_url", community_url(access.community.id) + "/export");
    d.set("everyone_may_mention_channel", access.community.everyone_may_mention_channel);
    return ctx.svc.pages.tpl().render("rename", d);
}

asio::awaitable<net::http_response> members_page(request_context& ctx, const signed_in_user& user,
                                                 community_access& access) {
    if (!access.membership) co_return redirect_response(community_url(access.community.id));
    auto members = co_await db::community_members(ctx.svc.db, access.community.id);
    if (!members) co_return database_failure(ctx, members.error());
    auto channels = co_await db::list_channels(ctx.svc.db, access.community.id, access.membership->id);
    if (!channels) co_return database_failure(ctx, channels.error());
    auto online = co_await db::online_members(ctx.svc.db, access.community.id);
    if (!online) co_return database_failure(ctx, online.error());
    render::data d;
    d.set("title", access.community.title);
    render::data list{render::data::type::list};
    for (const auto& m : *members) {
        render::data item;
        const bool me = m.membership_id == access.membership->id;
        item.set("id", m.membership_id);
        item.set("name", m.display_name.value_or("User " + m.membership_id.substr(0, 4)));
        item.set("is_admin", m.admin);
        item.set("user_id", m.user_id);
        item.set("online", std::find(online->begin(), online->end(), m.user_id) != online->end());
        item.set("me", me);
        item.set("manage", access.admin() && !me);
        item.set("community_id", access.community.id);
        item.set("csrf", ctx.session->csrf_token);
        list.push_back(item);
    }
    d.set("members", list);
    shell s;
    s.title = "Members | " + access.community.title + " | eelchat";
    s.access = &access;
    s.channels = std::move(*channels);
    s.main_html = ctx.svc.pages.tpl().render("members", d);
    co_return co_await render_shell(ctx, user, std::move(s));
}

// The member named by :mid, for an admin's action on them; refusals as responses.
template <class F> auto with_admin_over_member(F f) {
    return with_community([f](request_context& ctx, signed_in_user& user,
                              community_access& access) -> asio::awaitable<net::http_response> {
        if (!access.admin()) co_return forbidden(ctx);
        auto mid = crypto::normalize_uuid(ctx.params.get("mid"));
        if (!mid) co_return not_found(ctx);
        if (*mid == access.membership->id) co_return error_page(ctx.svc.pages, http::status::bad_request);
        co_return co_await f(ctx, user, access, *mid);
    });
}

} // namespace

void add_community_routes(router& r) {
    r.add(http::verb::get, "/community/new",
          with_user([](request_context& ctx, signed_in_user& user) -> asio::awaitable<net::http_response> {
              co_return co_await dialog_response(ctx, user, "New community", new_community_form(ctx, "", ""),
                                                 true);
          }));

    r.add(http::verb::post, "/community",
          with_user([](request_context& ctx, signed_in_user& user) -> asio::awaitable<net::http_response> {
              const std::string typed = field(ctx, "title");
              auto checked = conversations::check_name(typed);
              if (checked.problem == conversations::name_problem::invalid) {
                  auto res = co_await dialog_response(
                      ctx, user, "New community",
                      new_community_form(ctx, typed, name_problem_text(checked.problem)), true);
                  res.result(http::status::unprocessable_entity);
                  co_return res;
              }
              auto id = co_await db::create_community(ctx.svc.db, user.id,
                                                      checked.name.value_or(random_title("Community")));
              if (!id) co_return database_failure(ctx, id.error());
              co_return redirect_response(community_url(*id));
          }));

    r.add(http::verb::get, "/community/:id",
          with_community([](request_context& ctx, signed_in_user& user,
                            community_access& access) -> asio::awaitable<net::http_response> {
              std::vector<db::channel_row> channels;
              if (access.membership) {
                  auto listed =
                      co_await db::list_channels(ctx.svc.db, access.community.id, access.membership->id);
                  if (!listed) co_return database_failure(ctx, listed.error());
                  channels = std::move(*listed);
              }
              render::data d;
              d.set("id", access.community.id);
              d.set("title", access.community.title);
              d.set("member", access.membership.has_value());
              d.set("banned", access.banned);
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
              if (!*joined) co_return forbidden(ctx);
              co_return redirect_response(community_url(access.community.id));
          }));

    r.add(http::verb::get, "/community/:id/settings",
          with_community([](request_context& ctx, signed_in_user& user,
                            community_access& access) -> asio::awaitable<net::http_response> {
              if (!access.admin()) co_return forbidden(ctx);
              co_return co_await dialog_response(ctx, user, "Community settings",
                                                 rename_form(ctx, access, access.community.title, ""));
          }));

    r.add(
        http::verb::post, "/community/:id/settings",
        with_community([](request_context& ctx, signed_in_user& user,
                          community_access& access) -> asio::awaitable<net::http_response> {
            if (!access.admin()) co_return forbidden(ctx);
            const std::string typed = field(ctx, "title");
            auto checked = conversations::check_name(typed);
            if (!checked.name) {
                auto res =
                    co_await dialog_response(ctx, user, "Community settings",
                                             rename_form(ctx, access, typed,
                                                         checked.problem == conversations::name_problem::empty
                                                             ? "Type a name."
                                                             : name_problem_text(checked.problem)));
                res.result(http::status::unprocessable_entity);
                co_return res;
            }
            auto renamed = co_await db::rename_community(ctx.svc.db, access.community.id, *checked.name);
            if (!renamed) co_return database_failure(ctx, renamed.error());
            const bool everyone = field(ctx, "everyone_may_mention_channel") == "on";
            if (everyone != access.community.everyone_may_mention_channel) {
                auto set =
                    co_await db::set_everyone_may_mention_channel(ctx.svc.db, access.community.id, everyone);
                if (!set) co_return database_failure(ctx, set.error());
            }
            ctx.svc.log.info("community_renamed", {{"id", ctx.info.id}, {"community", access.community.id}});
            co_return redirect_response(community_url(access.community.id));
        }));

    r.add(http::verb::get, "/community/:id/members", with_community(members_page));

    r.add(http::verb::get, "/community/:id/export",
          with_community([](request_context& ctx, signed_in_user&,
                            community_access& access) -> asio::awaitable<net::http_response> {
              if (!access.admin()) co_return forbidden(ctx);
              export_files files(ctx.svc.files);
              auto archive = co_await archive::export_for_download(ctx.svc.db, access.community.id, files);
              if (!archive.written) {
                  if (archive.error.empty()) co_return not_found(ctx);
                  ctx.svc.log.error(
                      "export_failed",
                      {{"id", ctx.info.id}, {"community", access.community.id}, {"error", archive.error}});
                  co_return error_page(ctx.svc.pages, http::status::internal_server_error);
              }
              ctx.svc.log.info("community_exported", {{"id", ctx.info.id},
                                                      {"community", access.community.id},
                                                      {"messages", archive.written->messages},
                                                      {"bytes", archive.size}});
              net::http_response res{http::status::ok, 11};
              res.set(http::field::content_type, "application/x-tar");
              res.set(http::field::content_disposition,
                      "attachment; filename=\"" +
                          archive::download_name(archive.written->title,
                                                 archive.written->exported_at.substr(0, 10)) +
                          "\"");
              res.set(http::field::cache_control, "no-store");
              add_security_headers(res);
              res.content_length(archive.size);
              ctx.info.streamed_response = std::make_unique<net::file_body>(std::move(archive.file));
              co_return res;
          }));

    r.add(http::verb::post, "/community/:id/members/:mid/remove",
          with_admin_over_member([](request_context& ctx, signed_in_user&, community_access& access,
                                    std::string member) -> asio::awaitable<net::http_response> {
              auto removed = co_await db::remove_member(ctx.svc.db, access.community.id, member);
              if (!removed) co_return database_failure(ctx, removed.error());
              if (!*removed) co_return not_found(ctx);
              ctx.svc.log.info(
                  "member_removed",
                  {{"id", ctx.info.id}, {"community", access.community.id}, {"membership", member}});
              co_return redirect_response(community_url(access.community.id) + "/members");
          }));

    r.add(http::verb::post, "/community/:id/members/:mid/admin",
          with_admin_over_member([](request_context& ctx, signed_in_user&, community_access& access,
                                    std::string member) -> asio::awaitable<net::http_response> {
              auto made = co_await db::make_admin(ctx.svc.db, access.community.id, member);
              if (!made) co_return database_failure(ctx, made.error());
              if (!*made) co_return not_found(ctx);
              co_return redirect_response(community_url(access.community.id) + "/members");
          }));
}

} // namespace eelchat::routes
