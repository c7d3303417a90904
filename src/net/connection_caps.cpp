#include "net/connection_caps.hpp"

namespace eelchat::net {

namespace {

// A place held for `key`: given back when the last copy of the ticket goes. One allocation per ticket;
// it holds the caps alive, since a socket may outlive whoever created it.
struct place {
    place(std::shared_ptr<connection_caps> c, std::string k) : caps(std::move(c)), key(std::move(k)) {}
    ~place() { caps->give_back(key); }
    std::shared_ptr<connection_caps> caps;
    std::string key;
};

} // namespace

connection_caps::ticket connection_caps::acquire(std::string_view key, std::size_t cap) {
    if (cap == 0) {
        // No limit: nothing to count, and every such ticket is the same shared one.
        static const ticket unlimited = std::make_shared<int>(0);
        return unlimited;
    }
    std::string k(key);
    {
        std::lock_guard lock(mutex_);
        std::size_t& n = open_[k];
        if (n >= cap) {
            if (n == 0) open_.erase(k);
            return nullptr;
        }
        ++n;
    }
    return std::make_shared<place>(shared_from_this(), std::move(k));
}

void connection_caps::give_back(const std::string& key) {
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
