#include "realtime/streams.hpp"

#include <algorithm>

namespace eelchat::realtime {

namespace websocket = boost::beast::websocket;

void stream_subscriber::close(websocket::close_code code, const std::string& reason) {
    ws_->close_now(websocket::close_reason(code, reason));
}

void stream_registry::add(const std::shared_ptr<stream_subscriber>& s) {
    by_community_[s->who().community_id].push_back(s);
    by_member_[s->who().membership_id].push_back(s);
}

void stream_registry::erase_from(std::unordered_map<std::string, list>& index, const std::string& key,
                                 const std::shared_ptr<stream_subscriber>& s) {
    auto it = index.find(key);
    if (it == index.end()) return;
    std::erase(it->second, s);
    if (it->second.empty()) index.erase(it);
}

void stream_registry::remove(const std::shared_ptr<stream_subscriber>& s) {
    erase_from(by_community_, s->who().community_id, s);
    erase_from(by_member_, s->who().membership_id, s);
}

void stream_registry::to_readers(const std::string& community_id, const audience& readers,
                                 const net::ws_frame& frame) {
    auto it = by_community_.find(community_id);
    if (it == by_community_.end()) return;
    for (const auto& s : it->second) {
        if (readers && std::find(readers->begin(), readers->end(), s->who().membership_id) == readers->end())
            continue;
        s->ws().send(frame);
    }
}

void stream_registry::to_member(const std::string& membership_id, const net::ws_frame& frame) {
    auto it = by_member_.find(membership_id);
    if (it == by_member_.end()) return;
    for (const auto& s : it->second)
        s->ws().send(frame);
}

void stream_registry::to_communities(const std::vector<std::string>& community_ids, const net::ws_frame& frame) {
    for (const auto& id : community_ids) {
        auto it = by_community_.find(id);
        if (it == by_community_.end()) continue;
        for (const auto& s : it->second)
            s->ws().send(frame);
    }
}

void stream_registry::session_ended(const std::string& session_hash) {
    for (auto& [_, v] : by_community_)
        for (const auto& s : v)
            if (s->who().session_hash == session_hash) s->close(websocket::close_code::policy_error, "signed out");
}

void stream_registry::membership_ended(const std::string& membership_id) {
    auto it = by_member_.find(membership_id);
    if (it == by_member_.end()) return;
    for (const auto& s : it->second)
        s->close(websocket::close_code::policy_error, "no longer a member");
}

void stream_registry::close_all_for_restart() {
    for (auto& [_, v] : by_community_)
        for (const auto& s : v)
            s->close(websocket::close_code::service_restart, "server restarting");
}

std::size_t stream_registry::size() const {
    std::size_t n = 0;
    for (const auto& [_, v] : by_community_)
        n += v.size();
    return n;
}

} // namespace eelchat::realtime
