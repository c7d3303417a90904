#include "feeds/feed_url.hpp"

#include "net/http_fetch.hpp"
#include "net/url.hpp"

namespace eelchat::feeds {

namespace {

vetted_url refuse(std::string why) {
    vetted_url v;
    v.refusal = std::move(why);
    return v;
}

} // namespace

std::string normal_form(std::string_view typed) {
    auto parsed = net::parse_url(typed);
    return parsed ? parsed->to_string() : std::string(typed);
}

boost::asio::awaitable<vetted_url> vet_feed_url(boost::asio::any_io_executor ex, std::string typed,
                                                bool allow_private) {
    if (typed.size() > max_url_length) co_return refuse("that URL is longer than 2,000 characters.");
    auto parsed = net::parse_url(typed);
    if (!parsed) {
        if (parsed.error() == net::url_errc::unsupported_scheme)
            co_return refuse("only http and https URLs can be followed.");
        co_return refuse("that is not a valid URL.");
    }
    auto refused = co_await net::check_host_allowed(ex, *parsed, allow_private);
    if (refused) co_return refuse(refused->message + ".");
    vetted_url ok;
    ok.url = parsed->to_string();
    co_return ok;
}

} // namespace eelchat::feeds
