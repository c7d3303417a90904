#include "render/search_results.hpp"

#include "render/messages.hpp"

namespace eelchat::render {

std::string snippet_html(std::string_view snippet) {
    std::string out;
    bool open = false;
    std::size_t start = 0;
    auto flush = [&](std::size_t end) { out += html_escape(snippet.substr(start, end - start)); };
    for (std::size_t i = 0; i < snippet.size(); ++i) {
        const char c = snippet[i];
        if (c != '\x01' && c != '\x02') continue;
        flush(i);
        start = i + 1;
        if (c == '\x01' && !open) {
            out += "<mark>";
            open = true;
        } else if (c == '\x02' && open) {
            out += "</mark>";
            open = false;
        }
    }
    flush(snippet.size());
    if (open) out += "</mark>";
    return out;
}

std::string render_search_results(templates& tpl, const search_results_view& view,
                                  const std::vector<db::search_hit>& hits,
                                  const std::map<std::string, std::string>& channel_titles) {
    data d;
    data list{data::type::list};
    for (const auto& h : hits) {
        const auto& m = h.message;
        data r;
        auto title = channel_titles.find(h.channel_id);
        r.set("channel", title == channel_titles.end() ? std::string("a channel") : title->second);
        r.set("author", author_label(m));
        r.set("iso", m.created_iso);
        r.set("time", m.created_label);
        r.set("reply", m.parent_id.has_value());
        r.set("edited", m.edited_iso.has_value());
        r.set("snippet_html", snippet_html(h.snippet));
        r.set("href", "/community/" + view.community_id + "/channel/" + h.channel_id + "?at=" + m.id);
        r.set("id", m.id);
        list.push_back(r);
    }
    d.set("results", list);
    d.set("none", hits.empty() && view.notice.empty());
    d.set("first_page", view.first_page);
    if (!view.notice.empty()) d.set("notice", view.notice);
    if (!view.more_url.empty()) d.set("more_url", view.more_url);
    return tpl.render("search_results", d);
}

} // namespace eelchat::render
