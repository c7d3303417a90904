#include "push/subscription.hpp"

#include "core/base64url.hpp"
#include "net/http_fetch.hpp"
#include "push/encryption.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace eelchat::push {

namespace {

constexpr std::size_t max_endpoint = 2048;

std::string_view text_at(const boost::json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_string()) return {};
    return it->value().get_string();
}

boost::system::result<subscription, std::string> refuse(std::string why) {
    return {boost::system::in_place_error, std::move(why)};
}

// Browsers send base64url without padding; some older ones pad. Stored without.
std::string unpadded(std::string_view s) {
    while (!s.empty() && s.back() == '=')
        s.remove_suffix(1);
    return std::string(s);
}

} // namespace

std::string audience_of(const net::url& endpoint) {
    return endpoint.scheme + "://" + endpoint.authority();
}

boost::system::result<subscription, std::string> parse_subscription(std::string_view json, bool allow_http) {
    boost::system::error_code ec;
    auto doc = boost::json::parse(json, ec);
    if (ec || !doc.is_object()) return refuse("The subscription is not a JSON object.");
    const auto& o = doc.get_object();
    subscription s;
    s.endpoint = std::string(text_at(o, "endpoint"));
    if (s.endpoint.empty()) return refuse("The subscription has no endpoint.");
    if (s.endpoint.size() > max_endpoint) return refuse("The endpoint is too long.");
    auto where = net::parse_url(s.endpoint);
    if (!where) return refuse("The endpoint is not a URL.");
    if (!where->https() && !allow_http) return refuse("The endpoint must be an https URL.");
    s.where = std::move(*where);
    auto keys = o.find("keys");
    if (keys == o.end() || !keys->value().is_object()) return refuse("The subscription has no keys.");
    s.p256dh = unpadded(text_at(keys->value().get_object(), "p256dh"));
    s.auth = unpadded(text_at(keys->value().get_object(), "auth"));
    auto p256dh = text::base64url_decode(s.p256dh);
    auto auth = text::base64url_decode(s.auth);
    if (!p256dh || !auth || !valid_keys(subscription_keys{*p256dh, *auth}))
        return refuse("The subscription's keys are not a P-256 public key and a 16-byte secret.");
    return s;
}

boost::asio::awaitable<std::optional<std::string>> endpoint_problem(boost::asio::any_io_executor ex,
                                                                    net::url endpoint, bool allow_private) {
    auto refused = co_await net::check_host_allowed(std::move(ex), std::move(endpoint), allow_private);
    if (!refused) co_return std::nullopt;
    co_return "The push service cannot be reached from here: " + refused->message + ".";
}

} // namespace eelchat::push
