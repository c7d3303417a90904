#include "realtime/frames.hpp"

#include "render/messages.hpp"

namespace eelchat::realtime {

namespace {
constexpr std::string_view oob_open = "<div id=\"messages\" hx-swap-oob=\"beforeend\">";
constexpr std::string_view oob_close = "</div>";
} // namespace

net::ws_frame message_frame(render::templates& tpl, const db::message_row& m) {
    const std::string html = render::render_message(tpl, m);
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

net::ws_frame reload_frame() {
    static const auto frame = [] {
        std::string f(oob_open);
        f.append("<div _=\"init call window.location.reload()\"></div>");
        f.append(oob_close);
        return net::make_text_frame(f);
    }();
    return frame;
}

} // namespace eelchat::realtime
