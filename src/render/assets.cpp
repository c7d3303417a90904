#include "render/assets.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace eelchat::render {

std::string fnv1a64_hex(std::string_view data) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : data) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = digits[h & 0xf];
    return out;
}

std::string content_type_for(std::string_view name) {
    auto dot = name.rfind('.');
    std::string_view ext = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
    if (ext == "css") return "text/css; charset=utf-8";
    if (ext == "js") return "text/javascript; charset=utf-8";
    if (ext == "svg") return "image/svg+xml";
    if (ext == "png") return "image/png";
    if (ext == "ico") return "image/x-icon";
    if (ext == "json" || ext == "webmanifest") return "application/manifest+json";
    if (ext == "txt") return "text/plain; charset=utf-8";
    if (ext == "html") return "text/html; charset=utf-8";
    if (ext == "woff2") return "font/woff2";
    return "application/octet-stream";
}

std::shared_ptr<const asset_store> asset_store::load(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw std::runtime_error("assets folder " + dir.string() + " does not exist (was the build run?)");
    auto store = std::make_shared<asset_store>();
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        if (!it->is_regular_file()) continue;
        auto rel = fs::relative(it->path(), dir).generic_string();
        bool hidden = rel.front() == '.' || rel.find("/.") != std::string::npos;
        if (hidden) continue;
        std::ifstream in(it->path(), std::ios::binary);
        std::ostringstream ss;
        ss << in.rdbuf();
        if (!in) throw std::runtime_error("cannot read asset " + it->path().string());
        asset a;
        a.content = std::move(ss).str();
        a.content_type = content_type_for(rel);
        a.hash = fnv1a64_hex(a.content);
        a.etag = "\"" + a.hash + "\"";
        store->assets_.emplace("/" + rel, std::move(a));
    }
    if (ec) throw std::runtime_error("cannot list assets folder " + dir.string() + ": " + ec.message());
    return store;
}

const asset* asset_store::find(std::string_view path) const {
    auto it = assets_.find(path);
    return it == assets_.end() ? nullptr : &it->second;
}

std::string asset_store::url(std::string_view path) const {
    const asset* a = find(path);
    if (!a) throw std::runtime_error("missing asset " + std::string(path));
    return std::string(path) + "?v=" + a->hash;
}

} // namespace eelchat::render
