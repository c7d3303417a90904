// The endpoint table: (method, path pattern) -> handler. Patterns are literal segments and ":name"
// parameters, e.g. "/community/:id/channel/:cid". Matching is a pure function so tests need no server.
#pragma once

#include "net/http.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eelchat::routes {

namespace http = boost::beast::http;

struct request_context;
using handler = std::function<boost::asio::awaitable<net::http_response>(request_context&)>;

// Path parameters of a match, in pattern order. Values are views into the request's path.
class path_params {
public:
    void add(std::string_view name, std::string_view value) { items_.emplace_back(name, value); }
    // The value of parameter `name`; empty if the pattern has no such parameter.
    std::string_view get(std::string_view name) const;

private:
    std::vector<std::pair<std::string_view, std::string_view>> items_;
};

// How a route takes its request body: read whole before the handler runs (up to the server's body limit,
// a form or JSON), or streamed, read by the handler through request_info::body (an upload of any size).
enum class body_mode { whole, streamed };

class router {
public:
    // Registers a route. HEAD requests are served by the GET route of the same path.
    void add(http::verb method, std::string_view pattern, handler h, body_mode body = body_mode::whole);

    enum class outcome { found, method_not_allowed, not_found };
    struct match_result {
        outcome result = outcome::not_found;
        const handler* target = nullptr;
        // The pattern that matched, e.g. "/community/:id": a metrics label whose values are bounded by the
        // table, unlike raw paths. A view into the router, valid as long as it is. Empty when none did.
        std::string_view pattern;
        body_mode body = body_mode::whole;
        path_params params;
        std::string allow; // for 405: the methods the path does accept, e.g. "GET, HEAD, POST"
    };
    // `path` is the request target without its query string.
    match_result match(http::verb method, std::string_view path) const;

private:
    struct route {
        http::verb method;
        std::string pattern;
        std::vector<std::string> segments; // ":x" segments are parameters
        handler target;
        body_mode body;
    };
    std::vector<route> routes_;
};

// Splits "/a/b/c" into {"a","b","c"}; "/" gives {}; repeated or trailing slashes give empty segments,
// which never match a pattern (so "/app/" is not "/app").
std::vector<std::string_view> split_path(std::string_view path);

} // namespace eelchat::routes
