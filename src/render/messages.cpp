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

std::string message_frame(templates& tpl, const db::message_row& m) {
    std::string frame(oob_open);
    frame += render_message(tpl, m);
    frame += oob_close;
    return frame;
}

std::shared_ptr<const std::string> channel_gone_frame() {
    static const auto frame = [] {
        std::string f(oob_open);
        f.append("<p id=\"channel-gone\" class=\"text-center text-red-600 py-2\" role=\"alert\">");
        f.append("This channel was deleted.</p>");
        f.append(oob_close);
        return std::make_shared<const std::string>(std::move(f));
    }();
    return frame;
}

std::string render_messages(templates& tpl, std::span<const db::message_row> ms) {
    std::string out;
    for (const auto& m : ms) out += render_message(tpl, m);
    return out;
}

} // namespace eelchat::render
