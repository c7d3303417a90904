// How many long-lived connections each key (a user, a client address) holds open on this instance, with
// a cap. acquire() hands out a ticket that gives its place back when the last copy of it is destroyed, so
// a socket's ticket simply lives as long as the socket's state. Thread-safe; one per process.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace eelchat::net {

class connection_caps : public std::enable_shared_from_this<connection_caps> {
public:
    using ticket = std::shared_ptr<void>;

    // A place for `key`, or nullptr when it already holds `cap` (cap 0: no limit, nothing counted, always
    // a ticket).
    ticket acquire(std::string_view key, std::size_t cap);

    std::size_t count(std::string_view key) const;

    // A ticket's place, given back (called when its last copy goes).
    void give_back(const std::string& key);

private:
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::size_t> open_;
};

} // namespace eelchat::net
