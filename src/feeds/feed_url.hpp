// Which URLs a channel may follow, and the one form a feed is stored under. Any member can create a
// community and so be its admin: unless the operator allows private addresses, the host must be on the
// public internet, checked after DNS (the fetcher checks every connection again, net/http_fetch.hpp).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace eelchat::feeds {

inline constexpr std::size_t max_url_length = 2000;

struct vetted_url {
    std::string url; // the normal form (lower-case scheme and host, default port left out); or empty
    std::string
        refusal; // why it cannot be followed, as a sentence for the reply ("that is not a valid URL.")
};

// The normal form of `typed` when it parses as an http(s) URL, else `typed` as it is (what /unsubscribe
// looks for, so that the same feed typed two ways is one subscription).
std::string normal_form(std::string_view typed);

// Checks `typed` for /subscribe: length, syntax, scheme, and (unless allow_private) that every address
// its host resolves to is public. Completes with the normal form, or with the refusal; never throws for
// what the user typed. Cancellation: none; bounded by the system resolver's own timeout.
boost::asio::awaitable<vetted_url> vet_feed_url(boost::asio::any_io_executor ex, std::string typed,
                                                bool allow_private);

} // namespace eelchat::feeds
