#include "render/page.hpp"
#include "routes/responses.hpp"
#include "routes/routes.hpp"

namespace eelchat::routes {

namespace asio = boost::asio;

void add_page_routes(router& r) {
    r.add(http::verb::get, "/", [](request_context& ctx) -> asio::awaitable<net::http_response> {
        co_return html_response(http::status::ok, ctx.svc.pages.page("eelchat", "landing", {}));
    });
}

} // namespace eelchat::routes
