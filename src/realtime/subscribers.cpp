#include "realtime/subscribers.hpp"

#include "core/metrics.hpp"

#include <algorithm>

namespace eelchat::realtime {

namespace websocket = boost::beast::websocket;

namespace {

auto& deliveries_total = metrics::global()
                             .counters("eelchat_deliveries_total",
                                       "Live frames handed to subscribers' sockets (one per message per "
                                       "subscriber; catch-up frames read for one socket are not counted).")
                             .get();

} // namespace

subscriber::subscriber(std::shared_ptr<net::ws_session> ws, std::string channel_id, std::string session_hash,
                       std::string membership_id, std::int64_t cursor)
    : ws_(std::move(ws)), channel_id_(std::move(channel_id)), session_hash_(std::move(session_hash)),
      membership_id_(std::move(membership_id)), last_sent_(cursor) {}

void subscriber::deliver(const delivery& d) {
    if (catching_up_) {
        if (pending_.size() >= max_pending) {
            close(websocket::close_code::try_again_later, "too far behind; reconnect to catch up");
            return;
        }
        pending_.push_back(d);
        return;
    }
    send_in_order(d.seq, d.frame);
}

void subscriber::send_caught_up(std::int64_t seq, net::ws_frame frame) {
    if (seq <= last_sent_) return;
    if (ws_->send(std::move(frame))) last_sent_ = seq;
}

void subscriber::finish_catch_up() {
    catching_up_ = false;
    auto pending = std::move(pending_);
    pending_.clear();
    for (const auto& d : pending)
        send_in_order(d.seq, d.frame);
}

void subscriber::send_in_order(std::int64_t seq, const net::ws_frame& frame) {
    if (seq <= last_sent_) return; // already sent (caught up from the database, or a repeated batch)
    if (seq != last_sent_ + 1) {
        // Should not happen (the hub reads forward without gaps); if it does, the browser's reconnect
        // replays from its own last message, which is always right.
        close(websocket::close_code::try_again_later, "missed messages; reconnect to catch up");
        return;
    }
    if (ws_->send(frame)) last_sent_ = seq;
}

void subscriber::close(websocket::close_code code, const std::string& reason) {
    if (!ws_->closing()) ws_->close_now(websocket::close_reason(code, reason));
}

void subscriber_registry::add(const std::shared_ptr<subscriber>& s) {
    by_channel_[s->channel_id()].push_back(s);
}

void subscriber_registry::remove(const std::shared_ptr<subscriber>& s) {
    auto it = by_channel_.find(s->channel_id());
    if (it == by_channel_.end()) return;
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), s), v.end());
    if (v.empty()) by_channel_.erase(it);
}

std::size_t subscriber_registry::deliver(const std::string& channel_id, const std::vector<delivery>& batch) {
    auto it = by_channel_.find(channel_id);
    if (it == by_channel_.end()) return 0;
    // This worker's own copy of each frame: the hub shares one buffer with every worker, and thousands of
    // reference-count updates from two threads on one buffer would keep its cache line bouncing between
    // cores. Copying a few hundred bytes per worker is cheaper.
    std::vector<delivery> local;
    local.reserve(batch.size());
    for (const auto& d : batch)
        local.push_back(delivery{d.seq, std::make_shared<const std::string>(*d.frame)});
    // By index: nothing below adds or removes subscribers (a closed socket leaves the registry when its
    // run ends, later), and no copy of the list is needed.
    const auto& subscribers = it->second;
    for (std::size_t i = 0; i < subscribers.size(); ++i)
        for (const auto& d : local)
            subscribers[i]->deliver(d);
    // One add for the whole fan-out, never one per socket.
    deliveries_total.inc(subscribers.size() * local.size());
    return subscribers.size();
}

void subscriber_registry::channel_deleted(const std::string& channel_id, const net::ws_frame& notice) {
    auto it = by_channel_.find(channel_id);
    if (it == by_channel_.end()) return;
    for (const auto& s : it->second) {
        s->ws().send(notice);
        s->ws().close_after_queue(websocket::close_reason(websocket::close_code::normal, "channel deleted"));
    }
}

void subscriber_registry::session_ended(const std::string& session_hash) {
    for (auto& [_, v] : by_channel_)
        for (const auto& s : v)
            if (s->session_hash() == session_hash)
                s->close(websocket::close_code::policy_error, "signed out");
    streams_.session_ended(session_hash);
}

void subscriber_registry::membership_ended(const std::string& membership_id) {
    for (auto& [_, v] : by_channel_)
        for (const auto& s : v)
            if (s->membership_id() == membership_id)
                s->close(websocket::close_code::policy_error, "no longer a member");
    streams_.membership_ended(membership_id);
}

void subscriber_registry::channel_member_ended(const std::string& channel_id,
                                               const std::string& membership_id) {
    auto it = by_channel_.find(channel_id);
    if (it == by_channel_.end()) return;
    for (const auto& s : it->second)
        if (s->membership_id() == membership_id)
            s->close(websocket::close_code::policy_error, "no longer a member of this conversation");
}

void subscriber_registry::close_all_for_restart() {
    for (auto& [_, v] : by_channel_)
        for (const auto& s : v)
            s->close(websocket::close_code::service_restart, "server restarting");
    streams_.close_all_for_restart();
}

std::size_t subscriber_registry::size() const {
    std::size_t n = 0;
    for (const auto& [_, v] : by_channel_)
        n += v.size();
    return n;
}

} // namespace eelchat::realtime
