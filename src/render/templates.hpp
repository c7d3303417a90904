// Mustache templates, compiled once at start from the files embedded in the binary (templates/).
#pragma once

#include "core/embedded.hpp"

#include <kainjow/mustache.hpp>

#include <map>
#include <span>
#include <string>
#include <string_view>

namespace eelchat::render {

using data = kainjow::mustache::data;

class templates {
public:
    // Compiles every file; throws std::runtime_error naming the first template that does not parse.
    explicit templates(std::span<const embedded::file> files = embedded::templates());

    // Renders template `name` (its file name without ".mustache"). Variables are HTML-escaped unless the
    // template uses triple braces. An unknown name is a bug: throws std::out_of_range.
    // Not thread-safe (kainjow's renderer mutates internal state): each worker thread owns its copy.
    std::string render(std::string_view name, const data& d);

    bool contains(std::string_view name) const { return compiled_.find(name) != compiled_.end(); }

private:
    std::map<std::string, kainjow::mustache::mustache, std::less<>> compiled_;
};

// Escapes text for HTML element content and attribute values.
std::string html_escape(std::string_view s);

} // namespace eelchat::render
