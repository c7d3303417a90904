#include "render/assets.hpp"
#include "routes/responses.hpp"
#include "routes/routes.hpp"

namespace eelchat::routes {

namespace {

// True when the query string carries v=<hash> of the current content: such a URL never changes meaning,
// so it may be cached for good.
bool versioned(std::string_view query, std::string_view hash) {
    while (!query.empty()) {
        auto amp = query.find('&');
        auto pair = query.substr(0, amp);
        if (pair.starts_with("v=") && pair.substr(2) == hash) return true;
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return false;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
    // A list of entity tags, possibly weak (W/"..."), or "*".
    while (!if_none_match.empty()) {
        auto comma = if_none_match.find(',');
        auto tag = if_none_match.substr(0, comma);
        while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
        while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
        if (tag.starts_with("W/")) tag.remove_prefix(2);
        if (tag == etag || tag == "*") return true;
        if (comma == std::string_view::npos) break;
        if_none_match.remove_prefix(comma + 1);
    }
    return false;
}

} // namespace

std::optional<net::http_response> serve_asset(const request_context& ctx, std::string_view path,
                                              std::string_view query) {
    const render::asset* a = ctx.svc.assets.find(path);
    if (!a) return std::nullopt;
    const bool not_modified = etag_matches(ctx.req[http::field::if_none_match], a->etag);
    net::http_response res{not_modified ? http::status::not_modified : http::status::ok, 11};
    res.set(http::field::etag, a->etag);
    res.set(http::field::cache_control,
            versioned(query, a->hash) ? "public, max-age=31536000, immutable" : "public, no-cache");
    if (!not_modified) {
        res.set(http::field::content_type, a->content_type);
        res.body() = a->content;
        res.prepare_payload();
    }
    return res;
}

} // namespace eelchat::routes
