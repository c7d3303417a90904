#include "routes/shell.hpp"

#include "db/attention_store.hpp"

#include "core/crypto.hpp"
#include "render/channels.hpp"
#include "render/page.hpp"
#include "limits/guards.hpp"
#include "routes/forms.hpp"
#include "routes/responses.hpp"

namespace eelchat::routes {

namespace asio = boost::asio;

std::string community_url(const std::string& id) {
    return "/community/" + id;
}
std::string channel_url(const std::string& community_id, const std::string& channel_id) {
    return "/community/" + community_id + "/channel/" + channel_id;
}

std::string field(const request_context& ctx, std::string_view name) {
    return ctx.form ? std::string(ctx.form->get(name).value_or("")) : std::string();
}

bool is_htmx(const request_context& ctx) {
    return ctx.req["HX-Request"] == "true";
}

form_data query_of(const request_context& ctx) {
    std::string_view target = ctx.req.target();
    auto q = target.find('?');
    if (q == std::string_view::npos) return form_data{};
    return form_data::parse(target.substr(q + 1)).value_or(form_data{});
}

std::string query_value(const request_context& ctx, std::string_view name) {
    return std::string(query_of(ctx).get(name).value_or(""));
}

asio::awaitable<net::http_response> render_shell(request_context& ctx, const signed_in_user& user, shell s) {
    auto memberships = co_await db::list_memberships(ctx.svc.db, user.id);
    if (!memberships) co_return database_failure(ctx, memberships.error());
    const std::string& csrf = ctx.session->csrf_token;
    auto& tpl = ctx.svc.pages.tpl();
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
        // What the member has not read, and who is here: the attention stream keeps both up to date.
        auto unread = co_await db::unread_counts(ctx.svc.db, s.access->community.id, s.access->membership->id);
        if (!unread) co_return database_failure(ctx, unread.error());
        auto online = co_await db::online_members(ctx.svc.db, s.access->community.id);
        if (!online) co_return database_failure(ctx, online.error());
        std::string rooms, directs;
        for (const auto& ch : s.channels) {
            render::link_attention a;
            for (const auto& u : *unread)
                if (u.channel_id == ch.id) a = {u.last_seq, u.unread, u.mentions, false};
            a.online = ch.peer_user_id &&
                       std::find(online->begin(), online->end(), *ch.peer_user_id) != online->end();
            auto html = render::render_channel_link(tpl, ch, s.access->community.id, ch.id == s.active_channel,
                                                    false, a);
            (ch.kind == "direct" ? directs : rooms) += html;
        }
        d.set("channels_html", rooms);
        d.set("directs_html", directs);
        d.set("in_community", true);
        d.set("community_admin", s.access->admin());
        d.set("community_id", s.access->community.id);
        d.set("membership_id", s.access->membership->id);
        d.set("user_id", user.id);
        d.set("active_channel", s.active_channel);
        d.set("search_query", s.search_query);
        d.set("search_max", std::to_string(ctx.svc.limits.cfg.search_max_query));
    }
    d.set("email", user.email);
    d.set("csrf", csrf);
    d.set("main", s.main_html);
    co_return html_response(http::status::ok, ctx.svc.pages.page(s.title, "app_shell", std::move(d), csrf));
}

asio::awaitable<net::http_response> dialog_response(request_context& ctx, const signed_in_user& user,
                                                    std::string title, std::string html, bool in_main) {
    render::data d;
    d.set("title", title);
    d.set("body", html);
    if (is_htmx(ctx))
        co_return html_response(http::status::ok,
                                ctx.svc.pages.tpl().render(in_main ? "dialog_page" : "dialog", d));
    shell s;
    s.title = title + " | eelchat";
    s.main_html = ctx.svc.pages.tpl().render("dialog_page", d);
    co_return co_await render_shell(ctx, user, std::move(s));
}

std::string random_title(std::string_view prefix) {
    std::byte b[2];
    crypto::random_bytes(b);
    const unsigned n = (static_cast<unsigned>(b[0]) << 8 | static_cast<unsigned>(b[1])) % 1000;
    return std::string(prefix) + " #" + std::to_string(n);
}

std::string client_id_input(render::templates& tpl, std::string_view prefix, bool oob) {
    render::data d;
    d.set("prefix", std::string(prefix));
    d.set("client_id", crypto::new_uuid());
    d.set("oob", oob);
    return tpl.render("client_id_input", d);
}

std::string compose_error(render::templates& tpl, std::string_view prefix, std::string_view error, bool oob) {
    render::data d;
    d.set("prefix", std::string(prefix));
    d.set("error", std::string(error));
    d.set("oob", oob);
    return tpl.render("compose_error", d);
}

} // namespace eelchat::routes
