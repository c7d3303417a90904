#include "net/connection_caps.hpp"

namespace eelchat::net {

connection_caps::ticket connection_caps::acquire(std::string_view key, std::size_t cap) {
    std::string k(key);
    {
        std::lock_guard lock(mutex_);
        std::size_t& n = open_[k];
        if (cap != 0 && n >= cap) {
            if (n == 0) open_.erase(k);
            return nullptr;
        }
        ++n;
    }
    // The deleter holds the caps alive: a socket may outlive whoever created it.
    return ticket(static_cast<void*>(this),
                  [self = shared_from_this(), k = std::move(k)](void*) { self->release(k); });
}

void connection_caps::release(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = open_.find(key);
    if (it == open_.end()) return;
    if (--it->second == 0) open_.erase(it);
}

std::size_t connection_caps::count(std::string_view key) const {
    std::lock_guard lock(mutex_);
    auto it = open_.find(std::string(key));
    return it == open_.end() ? 0 : it->second;
}

} // namespace eelchat::net
