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
    d.set("system", m.is_system);
    d.set("iso", m.created_iso);
    d.set("time", m.created_label);
    d.set("text", m.text);
    return tpl.render("message", d);
}

std::string render_messages(templates& tpl, std::span<const db::message_row> ms) {
    std::string out;
    for (const auto& m : ms)
        out += render_message(tpl, m);
    return out;
}

} // namespace eelchat::render
