#include "render/page.hpp"

namespace eelchat::render {

page_renderer::page_renderer(templates& tpl, const asset_store& assets) : tpl_(tpl) {
    asset_urls_.set("css", assets.url("/css/main.css"));
    asset_urls_.set("htmx", assets.url("/vendor/htmx.min.js"));
    asset_urls_.set("htmx_ws", assets.url("/vendor/ws.min.js"));
    asset_urls_.set("hyperscript", assets.url("/vendor/_hyperscript.min.js"));
    asset_urls_.set("eelchat_js", assets.url("/js/eelchat.js"));
    asset_urls_.set("attention_js", assets.url("/js/attention.js"));
    asset_urls_.set("push_js", assets.url("/js/push.js"));
    asset_urls_.set("search_js", assets.url("/js/search.js"));
    asset_urls_.set("uploads_js", assets.url("/js/uploads.js"));
    asset_urls_.set("eel", assets.url("/img/eel.svg"));
    asset_urls_.set("favicon", assets.url("/favicon.svg"));
}

std::string page_renderer::page(std::string_view title, std::string_view name, data d,
                                std::string_view csrf) {
    d.set("assets", asset_urls_);
    data layout;
    layout.set("title", std::string(title));
    if (!csrf.empty()) layout.set("csrf", std::string(csrf));
    layout.set("assets", asset_urls_);
    layout.set("body", tpl_.render(name, d));
    return tpl_.render("layout", layout);
}

std::string page_renderer::message(std::string_view title, std::string_view heading, std::string_view text,
                                   bool link_home) {
    data d;
    d.set("heading", std::string(heading));
    d.set("message", std::string(text));
    d.set("home", link_home);
    return page(title, "simple_page", std::move(d));
}

} // namespace eelchat::render
