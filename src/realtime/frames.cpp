#include "realtime/frames.hpp"

#include "render/channels.hpp"
#include "render/messages.hpp"

namespace eelchat::realtime {

namespace {

constexpr std::string_view messages_open = "<div id=\"messages\" hx-swap-oob=\"beforeend\">";
constexpr std::string_view close_div = "</div>";

void append_cursor(std::string& out, std::int64_t seq) {
    out += "<input type=\"hidden\" id=\"event-cursor\" value=\"";
    out += std::to_string(seq);
    out += "\" hx-swap-oob=\"true\">";
}

// The parent's "3 replies" after a reply came or went.
void append_reply_count(std::string& out, render::templates& tpl, const db::event_row& e,
                        const db::message_row& reply, std::string_view href) {
    if (!e.parent_seq || !reply.parent_id) return;
    out += "<div id=\"replies-";
    out += std::to_string(*e.parent_seq);
    out += "\" hx-swap-oob=\"innerHTML\">";
    out += render::render_reply_count(tpl, *reply.parent_id, e.parent_reply_count, href);
    out += close_div;
}

void append_body(std::string& out, render::templates& tpl, const db::event_row& e, std::string_view href) {
    const db::message_row* m = e.message ? &*e.message : nullptr;
    switch (e.kind) {
    case db::event_kind::posted:
        if (!m || m->deleted) return; // deleted since: nothing to show, only the cursor moves
        if (m->parent_id) {
            if (!e.parent_seq) return;
            out += "<div id=\"thread-replies-";
            out += std::to_string(*e.parent_seq);
            out += "\" hx-swap-oob=\"beforeend\">";
            out += render::render_message(tpl, *m, href);
            out += close_div;
            append_reply_count(out, tpl, e, *m, href);
        } else {
            out += messages_open;
            out += render::render_message(tpl, *m, href);
            out += close_div;
        }
        return;
    case db::event_kind::edited:
        if (!m) return;
        out += render::render_message(tpl, *m, href, true);
        // The copy of a thread's message at the top of its open thread.
        if (!m->parent_id && m->html) {
            out += "<div id=\"thread-parent-text-";
            out += std::to_string(m->seq);
            out += "\" hx-swap-oob=\"innerHTML\">";
            out += *m->html;
            out += close_div;
        }
        return;
    case db::event_kind::deleted:
        if (!m) return;
        if (!m->parent_id && m->reply_count > 0) {
            out += render::render_message(tpl, *m, href, true); // the replies stay, under a tombstone
            return;
        }
        out += "<div id=\"message-";
        out += std::to_string(m->seq);
        out += "\" hx-swap-oob=\"delete\"></div>";
        append_reply_count(out, tpl, e, *m, href);
        return;
    case db::event_kind::reacted:
        if (!m || m->deleted) return;
        out += render::render_reactions(tpl, *m, href, true);
        return;
    case db::event_kind::renamed:
        if (e.names) out += render::render_rename(tpl, *e.names, href);
        return;
    }
}

} // namespace

net::ws_frame event_frame(render::templates& tpl, const db::event_row& e, std::string_view href) {
    std::string html;
    append_cursor(html, e.seq);
    append_body(html, tpl, e, href);
    // Header and payload in one buffer: the hub frames thousands of these a second.
    std::string frame;
    frame.reserve(net::ws_header_size(html.size()) + html.size());
    net::append_ws_header(frame, net::ws_opcode::text, html.size());
    frame.append(html);
    return std::make_shared<const std::string>(std::move(frame));
}

net::ws_frame channel_gone_frame() {
    static const auto frame = [] {
        std::string f(messages_open);
        f.append("<p id=\"channel-gone\" class=\"text-center text-red-600 py-2\" role=\"alert\">");
        f.append("This channel was deleted.</p>");
        f.append(close_div);
        return net::make_text_frame(f);
    }();
    return frame;
}

net::ws_frame reload_frame() {
    static const auto frame = [] {
        std::string f(messages_open);
        f.append("<div _=\"init call window.location.reload()\"></div>");
        f.append(close_div);
        return net::make_text_frame(f);
    }();
    return frame;
}

} // namespace eelchat::realtime
