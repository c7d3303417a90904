// The WebSocket subscribers of one worker thread, by channel. Lives on that worker's thread: the hub
// posts deliveries to it once per batch, and it hands the same rendered buffer to every local subscriber
// of the channel.
//
// Exactly once, in order: each subscriber remembers the last sequence number it sent. While it catches
// up from the database (right after connecting) live messages wait in a bounded buffer; afterwards any
// message at or below the last sent number is a duplicate and dropped, and a gap (which the hub's
// gap-free reading forward should make impossible) closes the socket with 1013 so the browser reconnects
// and catches up from its own last message.
#pragma once

#include "core/log.hpp"
#include "net/ws_session.hpp"
#include "realtime/streams.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace eelchat::realtime {

// A rendered message on its way to subscribers: the same framed buffer for all of them.
struct delivery {
    std::int64_t seq = 0;
    net::ws_frame frame;
};

class subscriber {
public:
    // `cursor`: the newest sequence number the browser already shows; delivery starts after it.
    subscriber(std::shared_ptr<net::ws_session> ws, std::string channel_id, std::string session_hash,
               std::string membership_id, std::int64_t cursor);

    const std::string& channel_id() const { return channel_id_; }
    const std::string& session_hash() const { return session_hash_; }
    const std::string& membership_id() const { return membership_id_; }
    net::ws_session& ws() { return *ws_; }
    std::int64_t last_sent() const { return last_sent_; }
    bool catching_up() const { return catching_up_; }
    // The socket ended: catch-up stops. Tracked: the hub counts this subscriber (untrack it when gone).
    bool gone() const { return gone_; }
    void mark_gone() { gone_ = true; }
    bool tracked() const { return tracked_; }
    void set_tracked() { tracked_ = true; }

    // Where delivery starts: the newest message the browser already has.
    void start_at(std::int64_t cursor) { last_sent_ = cursor; }
    // A live message from the hub.
    void deliver(const delivery& d);
    // Catch-up frames read from the database, oldest first (rendered for this subscriber alone).
    void send_caught_up(std::int64_t seq, net::ws_frame frame);
    // Catch-up is done: live delivery starts, beginning with what arrived meanwhile.
    void finish_catch_up();
    // The socket is at the end of its life: closes it (if still open) with `code` and `reason`.
    void close(boost::beast::websocket::close_code code, const std::string& reason);

private:
    void send_in_order(std::int64_t seq, const net::ws_frame& frame);

    static constexpr std::size_t max_pending = 512;

    std::shared_ptr<net::ws_session> ws_;
    std::string channel_id_;
    std::string session_hash_;
    std::string membership_id_;
    std::int64_t last_sent_ = 0;
    bool catching_up_ = true;
    bool gone_ = false;
    bool tracked_ = false;
    std::vector<delivery> pending_;
};

class subscriber_registry {
public:
    explicit subscriber_registry(logger log) : log_(std::move(log)) {}

    void add(const std::shared_ptr<subscriber>& s);
    void remove(const std::shared_ptr<subscriber>& s);

    // Deliveries for one channel, in sequence order. Returns how many subscribers of this worker follow it.
    std::size_t deliver(const std::string& channel_id, const std::vector<delivery>& batch);
    // The channel was deleted: each subscriber gets `notice` and is closed normally.
    void channel_deleted(const std::string& channel_id, const net::ws_frame& notice);
    // A signed-in session ended, or a membership did: their sockets close (policy: 1008).
    void session_ended(const std::string& session_hash);
    void membership_ended(const std::string& membership_id);
    // Someone was taken out of a private channel or direct conversation: their sockets of it close.
    void channel_member_ended(const std::string& channel_id, const std::string& membership_id);
    // Graceful shutdown: every socket closes with 1012 so browsers reconnect (to another instance).
    void close_all_for_restart();

    std::size_t size() const;

    // The same worker's attention streams (realtime/streams.hpp).
    stream_registry& streams() { return streams_; }

private:
    logger log_;
    stream_registry streams_;
    std::unordered_map<std::string, std::vector<std::shared_ptr<subscriber>>> by_channel_;
};

} // namespace eelchat::realtime
