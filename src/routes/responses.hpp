// Building responses: HTML pages, plain text, redirects and the error pages every route shares.
#pragma once

#include "net/http.hpp"

#include <string>
#include <string_view>

namespace eelchat::render {
class page_renderer;
}

namespace eelchat::routes {

namespace http = boost::beast::http;

net::http_response html_response(http::status status, std::string body);
net::http_response text_response(http::status status, std::string body);
// 303 See Other to `location` (a path on this server).
net::http_response redirect_response(std::string_view location);

// The wording of the error page for a status, e.g. 404 -> "Page not found.". Clients never see internal
// diagnostics; those go to the log.
std::string_view error_text(http::status status);
// An HTML error page with that status.
net::http_response error_page(render::page_renderer& pages, http::status status);

// Headers every response carries (framing, sniffing and referrer policy).
void add_security_headers(net::http_response& res);

} // namespace eelchat::routes
