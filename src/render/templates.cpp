#include "render/templates.hpp"

#include <stdexcept>

namespace eelchat::render {

templates::templates(std::span<const embedded::file> files) {
    constexpr std::string_view ext = ".mustache";
    for (const auto& f : files) {
        if (!f.name.ends_with(ext)) continue;
        std::string name(f.name.substr(0, f.name.size() - ext.size()));
        kainjow::mustache::mustache m{std::string(f.content)};
        if (!m.is_valid())
            throw std::runtime_error("template " + std::string(f.name) + ": " + m.error_message());
        m.set_custom_escape([](const std::string& s) { return html_escape(s); });
        compiled_.emplace(std::move(name), std::move(m));
    }
}

std::string templates::render(std::string_view name, const data& d) {
    auto it = compiled_.find(name);
    if (it == compiled_.end()) throw std::out_of_range("no template named " + std::string(name));
    return it->second.render(d);
}

std::string html_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 8);
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        case '`': out += "&#96;"; break;
        default: out += c;
        }
    }
    return out;
}

} // namespace eelchat::render
