// The attention streams of one worker thread: each page of a community that a member has open keeps one
// WebSocket (GET /community/:id/stream) that carries what is about the member rather than about the
// channel on screen: new messages anywhere in the community they may read (for unread counts and mention
// marks), their read markers moving (from their other pages), who is typing where, who is here. Lives on
// its worker's thread, like subscriber_registry; the hub posts each frame once per worker, and the same
// buffer goes to every stream it concerns.
//
// Privacy is decided here, per frame: a frame about a private channel or a direct conversation carries the
// channel's readers (the hub reads them), and only streams of those members get it.
#pragma once

#include "net/ws_session.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace eelchat::realtime {

struct stream_identity {
    std::string community_id;
    std::string membership_id;
    std::string user_id;
    std::string session_hash;
    std::string name; // as pages show the member
};

class stream_subscriber {
public:
    stream_subscriber(std::shared_ptr<net::ws_session> ws, stream_identity who)
        : ws_(std::move(ws)), who_(std::move(who)) {}
    const stream_identity& who() const { return who_; }
    net::ws_session& ws() { return *ws_; }
    void close(boost::beast::websocket::close_code code, const std::string& reason);

private:
    std::shared_ptr<net::ws_session> ws_;
    stream_identity who_;
};

// Who may read the channel a frame is about: null for a public channel (every member of the community),
// else its members' membership ids.
using audience = std::shared_ptr<const std::vector<std::string>>;

class stream_registry {
public:
    void add(const std::shared_ptr<stream_subscriber>& s);
    void remove(const std::shared_ptr<stream_subscriber>& s);

    // A frame about a channel of the community, for the streams whose member may read it.
    void to_readers(const std::string& community_id, const audience& readers, const net::ws_frame& frame);
    // A frame for one member's streams (their read marker moved).
    void to_member(const std::string& membership_id, const net::ws_frame& frame);
    // A frame for every stream of these communities (someone's presence).
    void to_communities(const std::vector<std::string>& community_ids, const net::ws_frame& frame);

    void session_ended(const std::string& session_hash);
    void membership_ended(const std::string& membership_id);
    void close_all_for_restart();

    std::size_t size() const;

private:
    using list = std::vector<std::shared_ptr<stream_subscriber>>;
    static void erase_from(std::unordered_map<std::string, list>& index, const std::string& key,
                           const std::shared_ptr<stream_subscriber>& s);
    std::unordered_map<std::string, list> by_community_;
    std::unordered_map<std::string, list> by_member_;
};

} // namespace eelchat::realtime
