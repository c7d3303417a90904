// eelchat's request handler: one per worker thread, owning that thread's database pool, templates and
// router. Created by the server's handler factory on the worker's own thread.
#pragma once

#include "app/config.hpp"
#include "app/log.hpp"
#include "db/pool.hpp"
#include "net/http.hpp"
#include "render/assets.hpp"
#include "render/page.hpp"
#include "render/templates.hpp"
#include "routes/context.hpp"
#include "routes/router.hpp"

#include <boost/asio/io_context.hpp>

#include <memory>

namespace eelchat {

// What all workers share, read-only.
struct shared_state {
    config cfg;
    logger log;
    std::shared_ptr<const render::asset_store> assets;
};

class app final : public net::http_handler {
public:
    app(boost::asio::io_context& ctx, std::shared_ptr<const shared_state> shared);

    boost::asio::awaitable<net::http_response> handle(net::http_request& req,
                                                      const net::request_info& info) override;
    net::http_response error_response(net::http::status status, unsigned version) override;
    void shutdown() override;

private:
    std::shared_ptr<const shared_state> shared_;
    db::pool pool_;
    render::templates templates_;
    render::page_renderer pages_;
    routes::services services_;
    routes::router router_;
};

} // namespace eelchat
