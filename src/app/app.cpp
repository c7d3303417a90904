#include "app/app.hpp"

#include "routes/responses.hpp"
#include "routes/routes.hpp"

namespace eelchat {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

db::pool_config pool_config_for(const config& cfg) {
    db::pool_config pc;
    pc.conninfo = cfg.database_url;
    pc.max_size = cfg.db_pool_size;
    pc.call_timeout = cfg.db_timeout;
    pc.connect_timeout = cfg.db_timeout;
    pc.application_name = "eelchat";
    return pc;
}

} // namespace

app::app(asio::io_context& ctx, std::shared_ptr<const shared_state> shared)
    : shared_(std::move(shared)),
      pool_(ctx.get_executor(), pool_config_for(shared_->cfg), shared_->log),
      pages_(templates_, *shared_->assets),
      services_{shared_->cfg, shared_->log, pool_, pages_, *shared_->assets} {
    routes::add_health_routes(router_);
    routes::add_page_routes(router_);
}

asio::awaitable<net::http_response> app::handle(net::http_request& req, const net::request_info& info) {
    std::string_view target = req.target();
    auto q = target.find('?');
    std::string_view path = target.substr(0, q);
    std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);

    auto m = router_.match(req.method(), path);
    routes::request_context ctx{req, info, std::move(m.params), services_};
    net::http_response res;
    switch (m.result) {
    case routes::router::outcome::found:
        res = co_await (*m.target)(ctx);
        break;
    case routes::router::outcome::method_not_allowed:
        res = routes::error_page(pages_, http::status::method_not_allowed);
        res.set(http::field::allow, m.allow);
        break;
    case routes::router::outcome::not_found:
        if (req.method() == http::verb::get || req.method() == http::verb::head) {
            if (auto asset = routes::serve_asset(ctx, path, query)) {
                res = std::move(*asset);
                break;
            }
        }
        res = routes::error_page(pages_, http::status::not_found);
        break;
    }
    routes::add_security_headers(res);
    co_return res;
}

net::http_response app::error_response(http::status status, unsigned version) {
    auto res = routes::error_page(pages_, status);
    res.version(version);
    routes::add_security_headers(res);
    return res;
}

void app::shutdown() { pool_.close(); }

} // namespace eelchat
