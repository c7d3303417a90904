#include "render/channels.hpp"

namespace eelchat::render {

std::string render_channel_header(templates& tpl, const db::channel_row& ch, std::string_view href,
                                  bool oob) {
    data d;
    d.set("title", ch.title);
    d.set("topic", ch.topic);
    d.set("private", ch.kind == "private");
    d.set("direct", ch.kind == "direct");
    d.set("href", std::string(href));
    d.set("oob", oob);
    return tpl.render("channel_header", d);
}

std::string render_channel_link(templates& tpl, const db::channel_row& ch, const std::string& community_id,
                                bool active, bool oob, const link_attention& attention) {
    data d;
    d.set("id", ch.id);
    d.set("title", ch.title);
    d.set("private", ch.kind == "private");
    d.set("direct", ch.kind == "direct");
    d.set("community_id", community_id);
    d.set("active", active);
    d.set("oob", oob);
    d.set("last_seq", std::to_string(attention.last_seq));
    d.set("unread", std::to_string(attention.unread));
    d.set("has_unread", attention.unread > 0 && !active);
    d.set("mentioned", attention.mentions > 0 && !active);
    d.set("mentions", std::to_string(attention.mentions));
    if (ch.peer_user_id) {
        d.set("peer_user_id", *ch.peer_user_id);
        d.set("online", attention.online);
    }
    return tpl.render("channel_link", d);
}

std::string render_rename(templates& tpl, const db::names_row& n, std::string_view href) {
    std::string out;
    if (n.channel_kind != "direct") {
        db::channel_row here{n.channel_id, n.channel_title, n.channel_kind, n.channel_topic};
        out += render_channel_header(tpl, here, href, true);
    }
    if (n.subject_channel_id) {
        db::channel_row subject{*n.subject_channel_id, n.subject_title, n.subject_kind, {}};
        out += render_channel_link(tpl, subject, n.community_id, subject.id == n.channel_id, true);
    }
    out += "<option id=\"community-option-" + n.community_id + "\" hx-swap-oob=\"innerHTML\">" +
           html_escape(n.community_title) + "</option>";
    return out;
}

} // namespace eelchat::render
