#include "search/scope.hpp"

#include "core/text.hpp"

#include <algorithm>

namespace eelchat::search {

namespace {

bool same_name(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (text::to_lower_ascii(a[i]) != text::to_lower_ascii(b[i])) return false;
    return true;
}

} // namespace

scope channels_to_search(const std::vector<db::channel_row>& readable, const std::vector<std::string>& in) {
    scope out;
    if (in.empty()) {
        for (const auto& ch : readable)
            out.channel_ids.push_back(ch.id);
        return out;
    }
    for (const auto& name : in) {
        bool found = false;
        for (const auto& ch : readable) {
            if (!same_name(ch.title, name)) continue;
            found = true;
            if (std::find(out.channel_ids.begin(), out.channel_ids.end(), ch.id) == out.channel_ids.end())
                out.channel_ids.push_back(ch.id);
        }
        if (!found && !out.unknown_channel) out.unknown_channel = name;
    }
    return out;
}

} // namespace eelchat::search
