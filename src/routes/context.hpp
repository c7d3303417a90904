// What a route handler gets: the request, its path parameters and the worker's services.
#pragma once

#include "app/config.hpp"
#include "app/log.hpp"
#include "net/http.hpp"
#include "routes/router.hpp"

namespace eelchat::db {
class pool;
}
namespace eelchat::render {
class asset_store;
class page_renderer;
} // namespace eelchat::render

namespace eelchat::routes {

// The per-worker services handlers use. Everything here lives on the worker's thread.
struct services {
    const config& cfg;
    logger log;
    db::pool& db;
    render::page_renderer& pages;
    const render::asset_store& assets;
};

struct request_context {
    net::http_request& req;
    const net::request_info& info;
    path_params params;
    services& svc;
};

} // namespace eelchat::routes
