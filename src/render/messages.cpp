#include "render/messages.hpp"

#include "render/attachments.hpp"

#include <algorithm>

#include <functional>

namespace eelchat::render {

std::string author_label(const db::message_row& m) {
    if (m.is_system) return "System";
    if (m.display_name && !m.display_name->empty()) return *m.display_name;
    if (m.membership_id) return "User " + m.membership_id->substr(0, 4);
    return "Former member";
}

namespace {

// A mention shows the person's name as it is now, not as it was when the message was written: the
// stored HTML's <span class="mention" data-member="ID">@...</span> gets the current name of ID.
std::string with_current_names(const std::string& html,
                               const std::vector<std::pair<std::string, std::string>>& names) {
    std::string out;
    std::size_t at = 0;
    constexpr std::string_view marker = "<span class=\"mention\" data-member=\"";
    for (;;) {
        auto start = html.find(marker, at);
        if (start == std::string::npos) break;
        auto id_end = html.find('"', start + marker.size());
        auto text_start = id_end == std::string::npos ? id_end : html.find('>', id_end);
        auto close = text_start == std::string::npos ? text_start : html.find("</span>", text_start);
        if (close == std::string::npos) break;
        std::string_view id(html.data() + start + marker.size(), id_end - start - marker.size());
        out.append(html, at, text_start + 1 - at);
        auto it = std::find_if(names.begin(), names.end(), [&](const auto& n) { return n.first == id; });
        if (it != names.end()) out += "@" + html_escape(it->second);
        else out.append(html, text_start + 1, close - text_start - 1);
        at = close;
    }
    out.append(html, at);
    return out;
}


// The first UTF-8 character of `s` (the whole sequence of a multi-byte one).
std::string_view first_char(std::string_view s) {
    if (s.empty()) return s;
    const auto c = static_cast<unsigned char>(s[0]);
    std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    return s.substr(0, std::min(n, s.size()));
}

std::string upper_ascii(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

std::string who_reacted(const db::reaction_summary& r) {
    std::string out = "Reacted by ";
    for (std::size_t i = 0; i < r.names.size(); ++i) {
        if (i) out += i + 1 == r.names.size() && static_cast<int>(r.names.size()) == r.count ? " and " : ", ";
        out += r.names[i];
    }
    if (const int more = r.count - static_cast<int>(r.names.size()); more > 0)
        out += " and " + std::to_string(more) + (more == 1 ? " other" : " others");
    return out;
}

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) {
        if (!out.empty()) out += ' ';
        out += s;
    }
    return out;
}

} // namespace

std::string initials(std::string_view label) {
    if (label.starts_with("User ") && label.size() >= 7) return upper_ascii(label.substr(5, 2));
    std::string out;
    int taken = 0;
    bool at_word = true;
    for (std::size_t i = 0; i < label.size() && taken < 2;) {
        auto ch = first_char(label.substr(i));
        if (ch == " ") {
            at_word = true;
        } else if (at_word) {
            out += upper_ascii(ch);
            ++taken;
            at_word = false;
        }
        i += ch.size();
    }
    return out;
}

int avatar_colour(std::string_view user_id) {
    return static_cast<int>(std::hash<std::string_view>{}(user_id) % 8);
}

std::string reply_count_label(int count) {
    return count == 1 ? "1 reply" : std::to_string(count) + " replies";
}

std::string render_reply_count(templates& tpl, const std::string& message_id, int count,
                               std::string_view href) {
    if (count <= 0) return {};
    data d;
    d.set("count", true);
    d.set("href", std::string(href));
    d.set("id", message_id);
    d.set("label", reply_count_label(count));
    return tpl.render("reply_count", d);
}

std::string render_reactions(templates& tpl, const db::message_row& m, std::string_view href, bool oob) {
    if (m.reactions.empty() && !oob) // most messages: no template for an empty row
        return "<div class=\"reactions\" id=\"reactions-" + std::to_string(m.seq) + "\"></div>";
    data d;
    d.set("seq", std::to_string(m.seq));
    d.set("oob", oob);
    data list{data::type::list};
    for (const auto& r : m.reactions) {
        data item;
        item.set("emoji", r.emoji);
        item.set("count", std::to_string(r.count));
        item.set("members", joined(r.members));
        item.set("who", who_reacted(r));
        item.set("href", std::string(href));
        item.set("id", m.id);
        list.push_back(item);
    }
    d.set("reactions", list);
    return tpl.render("reactions", d);
}

std::string render_message(templates& tpl, const db::message_row& m, std::string_view href, bool oob) {
    // Triple-brace (unescaped) fields are ours alone: numbers, UUIDs, our own timestamps and addresses
    // made of them. Everything a person typed goes through the template's escaping.
    const std::string author = author_label(m);
    data d;
    d.set("seq", std::to_string(m.seq));
    d.set("id", m.id);
    d.set("author", author);
    if (m.membership_id) d.set("author_id", *m.membership_id);
    d.set("initials", m.is_system ? std::string("e") : initials(author));
    d.set("colour", std::to_string(m.is_system ? 8 : avatar_colour(m.author_user_id.value_or(author))));
    if (m.is_system) d.set("system", true);
    if (m.deleted) d.set("deleted", true);
    if (m.parent_id) d.set("reply", true);
    d.set("iso", m.created_iso);
    d.set("time", m.created_label);
    if (m.edited_label) d.set("edited", *m.edited_label);
    if (m.html)
        d.set("html", m.mentions.empty() ? *m.html : with_current_names(*m.html, m.mentions));
    else
        d.set("text", m.text);
    if (oob) d.set("oob", true);
    if (!m.deleted) {
        if (!m.attachments.empty()) d.set("attachments_html", render_attachments(tpl, m, href));
        d.set("reactions_html", render_reactions(tpl, m, href));
    }
    if (!m.parent_id && m.reply_count > 0)
        d.set("replies_html", render_reply_count(tpl, m.id, m.reply_count, href));
    return tpl.render("message", d);
}

std::string render_messages(templates& tpl, std::span<const db::message_row> ms, std::string_view href) {
    std::string out;
    for (const auto& m : ms)
        out += render_message(tpl, m, href);
    return out;
}

} // namespace eelchat::render
