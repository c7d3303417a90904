#include "routes/responses.hpp"

#include "render/page.hpp"

namespace eelchat::routes {

namespace {
// Pages and messages are per-user and change: never cached.
net::http_response uncached(http::status status, std::string_view content_type, std::string body) {
    net::http_response res{status, 11};
    res.set(http::field::content_type, content_type);
    res.set(http::field::cache_control, "no-store");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}
} // namespace

net::http_response html_response(http::status status, std::string body) {
    return uncached(status, "text/html; charset=utf-8", std::move(body));
}

net::http_response text_response(http::status status, std::string body) {
    return uncached(status, "text/plain; charset=utf-8", std::move(body));
}

net::http_response redirect_response(std::string_view location) {
    net::http_response res{http::status::see_other, 11};
    res.set(http::field::location, location);
    res.set(http::field::cache_control, "no-store");
    res.prepare_payload();
    return res;
}

std::string_view error_text(http::status status) {
    switch (status) {
    case http::status::bad_request: return "The request could not be understood.";
    case http::status::forbidden: return "You are not allowed to do that.";
    case http::status::not_found: return "Page not found.";
    case http::status::payload_too_large: return "That request is too large.";
    case http::status::request_header_fields_too_large: return "The request headers are too large.";
    case http::status::service_unavailable:
        return "eelchat cannot reach its database right now. Please try again in a moment.";
    default: return "Something went wrong.";
    }
}

net::http_response error_page(render::page_renderer& pages, http::status status) {
    auto code = static_cast<unsigned>(status);
    std::string heading = std::to_string(code) + " " + std::string(http::obsolete_reason(status));
    auto res = html_response(status, pages.message("eelchat", heading, error_text(status)));
    if (status == http::status::service_unavailable) res.set(http::field::retry_after, "5");
    return res;
}

void add_security_headers(net::http_response& res) {
    res.set("X-Content-Type-Options", "nosniff");
    res.set("X-Frame-Options", "SAMEORIGIN");
    res.set("Referrer-Policy", "same-origin");
}

} // namespace eelchat::routes
