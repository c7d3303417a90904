#include "realtime/stream_session.hpp"

#include "db/attention_store.hpp"
#include "realtime/attention_frames.hpp"
#include "realtime/hub.hpp"
#include "realtime/subscribers.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>
#include <map>

namespace eelchat::realtime {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using clock = std::chrono::steady_clock;

namespace {

constexpr int max_messages = 60; // per window
constexpr auto window = std::chrono::seconds(10);
constexpr auto typing_every = std::chrono::seconds(2);
constexpr std::size_t max_pending_reads = 16;
constexpr std::size_t max_known_channels = 64;
constexpr std::size_t max_queued_frames = 1024;

struct stream_state {
    worker_parts parts;
    std::shared_ptr<stream_subscriber> sub;
    bool visible = false;
    bool counted = false; // in the hub's watch and the user's presence
    bool gone = false;
    clock::time_point window_start = clock::now();
    int messages = 0;
    clock::time_point last_typing{};
    bool typing_busy = false;
    std::map<std::string, std::int64_t> pending_reads;
    bool writing_reads = false;
    std::vector<std::string> readable; // channels this member may read, as checked

    explicit stream_state(worker_parts p) : parts(std::move(p)) {}
    const stream_identity& who() const { return sub->who(); }
};

asio::awaitable<void> open(std::shared_ptr<stream_state> st) {
    co_await st->parts.hub.watch(st->who().community_id);
    if (st->gone) {
        st->parts.hub.unwatch(st->who().community_id);
        co_return;
    }
    st->counted = true;
    st->parts.hub.presence_change(st->who().user_id, 1, st->visible ? 1 : 0);
    // The counts as they are now: the page's own (rendered a moment ago) may miss what came meanwhile.
    auto counts = co_await db::unread_counts(st->parts.db, st->who().community_id, st->who().membership_id);
    if (st->gone) co_return;
    if (counts) st->sub->ws().send(counts_frame(*counts));
    auto online = co_await db::online_members(st->parts.db, st->who().community_id);
    if (st->gone) co_return;
    if (online) st->sub->ws().send(online_frame(*online));
}

// Whether the member may read the channel, checked once per socket and channel.
asio::awaitable<bool> may_read(std::shared_ptr<stream_state> st, std::string channel_id) {
    if (std::find(st->readable.begin(), st->readable.end(), channel_id) != st->readable.end()) co_return true;
    auto ok = co_await db::may_read_channel(st->parts.db, st->who().community_id, st->who().membership_id,
                                            channel_id);
    if (!ok || !*ok) co_return false;
    if (st->readable.size() >= max_known_channels) st->readable.clear();
    st->readable.push_back(std::move(channel_id));
    co_return true;
}

asio::awaitable<void> announce_typing(std::shared_ptr<stream_state> st, std::string channel_id) {
    if (co_await may_read(st, channel_id)) {
        auto r = co_await db::announce_typing(st->parts.db, channel_id, st->who().membership_id, st->who().name);
        if (!r) st->parts.log.warn("typing_failed", {{"error", r.error().message()}});
    }
    st->typing_busy = false;
}

// One marker write at a time; markers that arrive meanwhile replace each other per channel.
asio::awaitable<void> write_reads(std::shared_ptr<stream_state> st) {
    while (!st->pending_reads.empty()) {
        auto first = st->pending_reads.begin();
        std::string channel_id = first->first;
        const std::int64_t seq = first->second;
        st->pending_reads.erase(first);
        auto r = co_await db::set_read_marker(st->parts.db, st->who().community_id, st->who().membership_id,
                                              channel_id, seq, false);
        if (!r) st->parts.log.warn("read_marker_failed", {{"error", r.error().message()}});
    }
    st->writing_reads = false;
}

void on_message(const std::shared_ptr<stream_state>& st, std::string_view text) {
    const auto now = clock::now();
    if (now - st->window_start >= window) {
        st->window_start = now;
        st->messages = 0;
    }
    if (++st->messages > max_messages) {
        st->sub->close(websocket::close_code::policy_error, "too many messages");
        return;
    }
    auto req = parse_stream_request(text);
    auto spawn = [&](asio::awaitable<void> work) {
        asio::co_spawn(st->sub->ws().get_executor(), std::move(work),
                       log_exceptions{st->parts.log, "stream_request_failed"});
    };
    switch (req.what) {
    case stream_request::kind::read: {
        auto [it, fresh] = st->pending_reads.try_emplace(req.channel_id, req.seq);
        if (!fresh) it->second = std::max(it->second, req.seq);
        else if (st->pending_reads.size() > max_pending_reads) st->pending_reads.erase(it);
        if (!st->writing_reads) {
            st->writing_reads = true;
            spawn(write_reads(st));
        }
        break;
    }
    case stream_request::kind::typing:
        if (st->typing_busy || now - st->last_typing < typing_every) break;
        st->last_typing = now;
        st->typing_busy = true;
        spawn(announce_typing(st, std::move(req.channel_id)));
        break;
    case stream_request::kind::visible:
        if (req.visible == st->visible) break;
        st->visible = req.visible;
        if (st->counted) st->parts.hub.presence_change(st->who().user_id, 0, req.visible ? 1 : -1);
        break;
    case stream_request::kind::unknown:
        break;
    }
}

} // namespace

void start_stream(const worker_parts& parts, stream_start request, asio::ip::tcp::socket socket,
                  net::http_request req) {
    auto st = std::make_shared<stream_state>(parts);
    st->visible = request.visible;
    net::ws_options opts;
    opts.max_queued = max_queued_frames;
    opts.idle_timeout = request.idle_timeout;
    opts.max_incoming_message = 512;
    opts.on_message = [weak = std::weak_ptr<stream_state>(st)](std::string_view text) {
        if (auto s = weak.lock(); s && !s->gone) on_message(s, text);
    };
    auto ws = net::ws_session::create(std::move(socket), std::move(opts), parts.log);
    st->sub = std::make_shared<stream_subscriber>(ws, std::move(request.who));
    auto on_open = [st](const std::shared_ptr<net::ws_session>&) {
        st->parts.subscribers.streams().add(st->sub);
        asio::co_spawn(st->sub->ws().get_executor(), open(st), log_exceptions{st->parts.log, "stream_open_failed"});
    };
    // The session holds this handler and the state holds the session: the cycle ends when it runs.
    auto on_end = [st, hold = std::move(request.hold)] {
        st->gone = true;
        st->parts.subscribers.streams().remove(st->sub);
        if (st->counted) {
            st->parts.hub.unwatch(st->who().community_id);
            st->parts.hub.presence_change(st->who().user_id, -1, st->visible ? -1 : 0);
        }
    };
    ws->start(std::move(req), std::move(on_open), std::move(on_end));
}

} // namespace eelchat::realtime
