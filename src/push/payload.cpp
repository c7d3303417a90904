#include "push/payload.hpp"

#include "core/text.hpp"
#include "render/markdown.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace eelchat::push {

std::string excerpt(std::string_view s, std::size_t max) {
    std::string out;
    std::size_t pos = 0, taken = 0;
    while (pos < s.size()) {
        const std::size_t start = pos;
        auto cp = text::decode_next(s, pos);
        if (!cp) {
            ++pos; // not UTF-8: skipped
            continue;
        }
        if (taken == max) return out + "\u2026";
        ++taken;
        if (*cp == '\n' || *cp == '\r' || *cp == '\t')
            out += ' ';
        else
            out.append(s.substr(start, pos - start));
    }
    return out;
}

std::string push_payload(const db::claimed_notification& n) {
    boost::json::object o;
    std::string title = n.author_name;
    if (n.channel_kind != "direct") title += " in #" + n.channel_title;
    o["title"] = excerpt(title, 120);
    o["body"] = excerpt(render::markdown_to_plain_text(n.text), body_length);
    o["url"] = "/community/" + n.community_id + "/channel/" + n.channel_id + "?at=" + n.message_id;
    o["tag"] = "channel-" + n.channel_id;
    return boost::json::serialize(o);
}

} // namespace eelchat::push
