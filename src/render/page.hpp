// Whole pages: a body rendered from its template, wrapped in the document layout with the asset URLs.
#pragma once

#include "render/assets.hpp"
#include "render/templates.hpp"

#include <string>
#include <string_view>

namespace eelchat::render {

class page_renderer {
public:
    // Resolves every asset URL the layout needs once; throws if an asset is missing from the build.
    page_renderer(templates& tpl, const asset_store& assets);

    // Renders template `name` with `d` (plus "assets") and wraps it in the layout titled `title`. With a
    // CSRF token, the page's htmx requests carry it in the X-CSRF-Token header.
    std::string page(std::string_view title, std::string_view name, data d, std::string_view csrf = {});
    // A plain message page (errors, notices): heading, one paragraph, optionally a link home.
    std::string message(std::string_view title, std::string_view heading, std::string_view text,
                        bool link_home = true);

    templates& tpl() { return tpl_; }
    const data& asset_urls() const { return asset_urls_; }

private:
    templates& tpl_;
    data asset_urls_;
};

} // namespace eelchat::render
