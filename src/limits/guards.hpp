// The process-wide state of the limits: the settings, the posting buckets and the open-socket counts.
// One per process, shared by every worker (all of it is thread-safe).
#pragma once

#include "limits/rate_limiter.hpp"
#include "limits/settings.hpp"
#include "net/connection_caps.hpp"

#include <memory>

namespace eelchat::limits {

struct guards {
    explicit guards(const settings& s)
        : cfg(s), posts_by_user(s.messages_per_minute_per_user),
          posts_by_address(s.messages_per_minute_per_address),
          sockets(std::make_shared<net::connection_caps>()) {}

    const settings cfg;
    rate_limiter posts_by_user;
    rate_limiter posts_by_address;
    std::shared_ptr<net::connection_caps> sockets; // keys "user:ID" and "address:BUCKET"
};

} // namespace eelchat::limits
