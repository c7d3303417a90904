#include "render/messages.hpp"

namespace eelchat::render {

std::string author_label(const db::message_row& m) {
    if (m.is_system) return "System";
    if (m.display_name && !m.display_name->empty()) return *m.display_name;
    if (m.membership_id) return "User " + m.membership_id->substr(0, 4);
    return "Former member";
}

std::string render_message(templates& tpl, const db::message_row& m) {
    data d;
    d.set("seq", std::to_string(m.seq));
    d.set("author", author_label(m));
    d.set("iso", m.created_iso);
    d.set("time", m.created_label);
    d.set("text", m.text);
    return tpl.render("message", d);
}

namespace {
constexpr std::string_view oob_open = "<div id=\"messages\" hx-swap-oob=\"beforeend\">";
constexpr std::string_view oob_close = "</div>";
} // namespace

net::ws_frame message_frame(templates& tpl, const db::message_row& m) {
    const std::string html = render_message(tpl, m);
    const std::size_t payload = oob_open.size() + html.size() + oob_close.size();
    // Header and payload in one buffer, built in place: the hub renders thousands of these a second.
    std::string frame;
    frame.reserve(net::ws_header_size(payload) + payload);
    net::append_ws_header(frame, net::ws_opcode::text, payload);
    frame.append(oob_open).append(html).append(oob_close);
    return std::make_shared<const std::string>(std::move(frame));
}

net::ws_frame channel_gone_frame() {
    static const auto frame = [] {
        std::string f(oob_open);
        f.append("<p id=\"channel-gone\" class=\"text-center text-red-600 py-2\" role=\"alert\">");
        f.append("This channel was deleted.</p>");
        f.append(oob_close);
        return net::make_text_frame(f);
    }();
    return frame;
}

std::string render_messages(templates& tpl, std::span<const db::message_row> ms) {
    std::string out;
    for (const auto& m : ms)
        out += render_message(tpl, m);
    return out;
}

} // namespace eelchat::render
