// Static assets (CSS, images, the pinned htmx/hyperscript builds), loaded into memory once at start and
// shared read-only by every worker. Each has a content hash: it is the ETag, and pages link to assets as
// "/path?v=<hash>" so browsers may cache such URLs for a year and still get new files after an upgrade.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace eelchat::render {

struct asset {
    std::string content;
    std::string content_type;
    std::string hash; // 16 hex digits of FNV-1a 64 over the content
    std::string etag; // "\"<hash>\""
};

class asset_store {
public:
    // Loads every regular file under `dir` (skipping dot files). Throws std::runtime_error if `dir` is
    // not a readable folder.
    static std::shared_ptr<const asset_store> load(const std::filesystem::path& dir);

    // The asset served at `path` ("/css/main.css"), or nullptr.
    const asset* find(std::string_view path) const;
    // The versioned URL of an asset, "/css/main.css?v=<hash>". A missing asset is a build or packaging
    // error: throws std::runtime_error so it shows at start, not as a broken page.
    std::string url(std::string_view path) const;

    std::size_t size() const { return assets_.size(); }

private:
    std::map<std::string, asset, std::less<>> assets_;
};

std::string content_type_for(std::string_view filename);
std::string fnv1a64_hex(std::string_view data);

} // namespace eelchat::render
