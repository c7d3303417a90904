#include "routes/router.hpp"

namespace eelchat::routes {

std::string_view path_params::get(std::string_view name) const {
    for (const auto& [k, v] : items_)
        if (k == name) return v;
    return {};
}

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    if (path.empty() || path.front() != '/') {
        out.emplace_back(); // not a path: an empty segment matches nothing
        return out;
    }
    if (path == "/") return out;
    path.remove_prefix(1);
    for (;;) {
        auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

void router::add(http::verb method, std::string_view pattern, handler h, body_mode body) {
    route r{method, std::string(pattern), {}, std::move(h), body};
    for (auto seg : split_path(pattern))
        r.segments.emplace_back(seg);
    routes_.push_back(std::move(r));
}

router::match_result router::match(http::verb method, std::string_view path) const {
    const auto segments = split_path(path);
    const http::verb wanted = method == http::verb::head ? http::verb::get : method;
    match_result best;
    std::vector<http::verb> allowed;
    for (const auto& r : routes_) {
        if (r.segments.size() != segments.size()) continue;
        path_params params;
        bool ok = true;
        for (std::size_t i = 0; i < segments.size() && ok; ++i) {
            const auto& pat = r.segments[i];
            if (!pat.empty() && pat.front() == ':') {
                if (segments[i].empty())
                    ok = false;
                else
                    params.add(std::string_view(pat).substr(1), segments[i]);
            } else if (pat != segments[i]) {
                ok = false;
            }
        }
        if (!ok) continue;
        if (r.method == wanted) {
            best.result = outcome::found;
            best.target = &r.target;
            best.pattern = r.pattern;
            best.body = r.body;
            best.params = std::move(params);
            return best;
        }
        allowed.push_back(r.method);
    }
    if (allowed.empty()) return best;
    best.result = outcome::method_not_allowed;
    if (std::find(allowed.begin(), allowed.end(), http::verb::get) != allowed.end())
        allowed.push_back(http::verb::head);
    std::sort(allowed.begin(), allowed.end(),
              [](http::verb a, http::verb b) { return http::to_string(a) < http::to_string(b); });
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    for (auto v : allowed) {
        if (!best.allow.empty()) best.allow += ", ";
        best.allow += std::string(http::to_string(v));
    }
    return best;
}

} // namespace eelchat::routes
