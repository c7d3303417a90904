#include "realtime/hub.hpp"

#include "core/metrics.hpp"

#include "core/crypto.hpp"
#include "db/attention_store.hpp"
#include "db/channel_history.hpp"
#include "db/listener.hpp"
#include "db/params.hpp"
#include "db/pool.hpp"
#include "realtime/attention_frames.hpp"
#include "realtime/frames.hpp"
#include "render/templates.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <unordered_map>
#include <unordered_set>

namespace eelchat::realtime {

namespace asio = boost::asio;

namespace {

constexpr int read_batch = 200;
constexpr std::string_view events_channel = "eelchat_events";
// Announcements remembered per channel for the delivery lag; past this, later ones go unmeasured.
constexpr std::size_t max_announced = 64;
// A channel first heard of through the attention streams is read from this many numbers back (pages
// drop what they already counted).
constexpr std::int64_t stream_lookback = 64;
// Channels whose readers the hub remembers; past this it forgets them all and reads them again.
constexpr std::size_t max_audiences = 20000;
constexpr auto heartbeat_every = std::chrono::seconds(20);

auto& delivery_lag = metrics::global()
                         .histograms("eelchat_delivery_lag_seconds",
                                     "From a change's insert in PostgreSQL (clock_timestamp() in the NOTIFY "
                                     "trigger, just before commit) to its frames queued for this worker's "
                                     "subscribers; one observation per announcement per worker that has "
                                     "subscribers of the channel.",
                                     metrics::latency_buckets)
                         .get();

// Both clocks are wall clocks (PostgreSQL's and ours): on another host, skew shifts the figures; a
// negative difference counts as no lag.
void observe_lag(const std::vector<std::int64_t>& committed_us) {
    const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    for (auto at : committed_us)
        delivery_lag.observe(static_cast<double>(std::max<std::int64_t>(0, now_us - at)) / 1e6);
}

} // namespace

struct hub::impl : std::enable_shared_from_this<impl> {
    impl(db::pool_config p, logger l)
        : log(std::move(l)), conninfo(p.conninfo), pool(ctx.get_executor(), std::move(p), log), retry(ctx),
          heartbeat(ctx), presence_retry(ctx), instance(crypto::new_uuid()) {
        db::listener_options lo;
        lo.conninfo = conninfo;
        lo.channels = {std::string(events_channel)};
        db::listener::callbacks cb;
        cb.on_connected = [this]() -> asio::awaitable<void> {
            if (on_queued) on_queued(); // what was queued while we were away
            co_await resync();
        };
        cb.on_notification = [this](const db::notification& n) { on_notification(n.payload); };
        listener = std::make_unique<db::listener>(ctx.get_executor(), std::move(lo), std::move(cb), log);
    }

    struct channel_state {
        int refs = 0;
        std::int64_t delivered = 0; // every event up to this one has been posted to the workers
        std::string href;           // the channel's address, under which its messages' actions live
        std::string community_id;
        bool reading = false;
        bool dirty = false; // more was announced while reading
        // Announced and not yet delivered: (highest seq, commit time in µs since the epoch), for the lag.
        std::vector<std::pair<std::int64_t, std::int64_t>> announced;
    };

    asio::io_context ctx{1};
    logger log;
    std::string conninfo;
    db::pool pool;
    render::templates tpl;
    std::unique_ptr<db::listener> listener;
    asio::steady_timer retry;
    std::unordered_map<std::string, channel_state> channels;
    bool stopped = false;
    std::function<void()> on_queued; // notifications were queued (n:), or we reconnected

    // --- Attention streams ---
    struct audience_entry {
        std::string community_id;
        audience readers; // null: public
    };
    std::unordered_map<std::string, int> watched; // community id -> streams on this process
    std::unordered_map<std::string, audience_entry> audiences;
    bool watched_community(const std::string& id) const { return watched.contains(id); }

    // --- Presence ---
    struct local_count {
        int tabs = 0;
        int visible = 0;
    };
    asio::steady_timer heartbeat;
    asio::steady_timer presence_retry;
    std::string instance;
    std::unordered_map<std::string, local_count> presence;
    std::unordered_set<std::string> presence_dirty;
    bool presence_writing = false;

    std::mutex workers_mutex;
    std::vector<std::pair<asio::any_io_executor, subscriber_registry*>> workers;

    template <class F> void to_workers(F f) {
        std::lock_guard lock(workers_mutex);
        for (auto& [ex, registry] : workers)
            asio::post(ex, [f, registry = registry] { f(*registry); });
    }

    // Reads the channel forward from what was delivered and posts each batch to every worker. One reader
    // per channel; announcements that arrive meanwhile make it read once more.
    asio::awaitable<void> read_forward(std::string channel_id) {
        {
            auto it = channels.find(channel_id);
            if (it == channels.end()) co_return;
            if (it->second.reading) {
                it->second.dirty = true;
                co_return;
            }
            it->second.reading = true;
        }
        for (;;) {
            auto it = channels.find(channel_id);
            if (it == channels.end()) co_return;
            const std::int64_t from = it->second.delivered;
            auto rows = co_await db::events_after(pool, channel_id, from, read_batch);
            it = channels.find(channel_id); // the map may have changed while we waited
            if (it == channels.end()) co_return;
            auto& st = it->second;
            if (!rows) {
                log.warn("realtime_read_failed",
                         {{"channel", channel_id}, {"error", rows.error().message()}});
                st.reading = false;
                schedule_retry();
                co_return;
            }
            if (!rows->empty() && st.delivered == from) {
                auto batch = std::make_shared<std::vector<delivery>>();
                batch->reserve(rows->size());
                for (const auto& e : *rows)
                    batch->push_back(delivery{e.seq, realtime::event_frame(tpl, e, st.href)});
                st.delivered = rows->back().seq;
                auto committed = take_announced(st);
                to_workers([channel_id, batch, committed](subscriber_registry& r) {
                    if (r.deliver(channel_id, *batch) > 0 && committed) observe_lag(*committed);
                });
                if (watched_community(st.community_id))
                    if (auto frame = new_messages_frame(channel_id, *rows))
                        asio::co_spawn(ctx, to_streams(channel_id, std::move(*frame)),
                                       log_exceptions{log, "realtime_stream_crashed"});
            }
            if (rows->size() == static_cast<std::size_t>(read_batch)) continue;
            if (st.dirty) {
                st.dirty = false;
                continue;
            }
            st.reading = false;
            if (st.refs <= 0 && !watched_community(st.community_id))
                channels.erase(it); // its last subscriber left while we read
            co_return;
        }
    }

    // The commit times of the announcements the delivery up to st.delivered covers; null when none.
    static std::shared_ptr<const std::vector<std::int64_t>> take_announced(channel_state& st) {
        if (st.announced.empty()) return nullptr;
        auto out = std::make_shared<std::vector<std::int64_t>>();
        std::erase_if(st.announced, [&](const auto& a) {
            if (a.first > st.delivered) return false;
            out->push_back(a.second);
            return true;
        });
        if (out->empty()) return nullptr;
        return out;
    }

    void spawn_read(std::string channel_id) {
        asio::co_spawn(ctx, read_forward(std::move(channel_id)),
                       log_exceptions{log, "realtime_read_crashed"});
    }

    // After a failed read, every tracked channel is read again in a second (the listener's resync covers
    // a lost connection; this covers a failed query on a live one).
    void schedule_retry() {
        if (stopped) return;
        retry.expires_after(std::chrono::seconds(1));
        retry.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec || self->stopped) return;
            for (auto& [id, _] : self->channels)
                self->spawn_read(id);
        });
    }

    asio::awaitable<void> resync() {
        std::vector<std::string> ids;
        for (auto& [id, _] : channels)
            ids.push_back(id);
        log.info("realtime_resync", {{"channels", ids.size()}});
        for (auto& id : ids)
            co_await read_forward(id);
    }

    void on_notification(std::string_view payload) {
        if (payload.size() < 3 || payload[1] != ':') return;
        const char kind = payload[0];
        std::string_view rest = payload.substr(2);
        if (kind == 'm') {
            auto colon = rest.find(':');
            std::string channel_id(rest.substr(0, colon));
            auto it = channels.find(channel_id);
            if (it == channels.end()) {
                // Nobody here follows that channel; an attention stream of its community may.
                if (!watched.empty()) {
                    auto tail = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
                    auto seq = db::to_int(tail.substr(0, tail.find(':'))).value_or(0);
                    asio::co_spawn(ctx, discover(std::move(channel_id), seq),
                                   log_exceptions{log, "realtime_stream_crashed"});
                }
                return;
            }
            // "m:<channel>:<seq>:<commit µs>" since migration 0006; older triggers send no time.
            if (colon != std::string_view::npos) {
                auto tail = rest.substr(colon + 1);
                auto second = tail.find(':');
                auto seq = db::to_int(tail.substr(0, second));
                auto at =
                    second == std::string_view::npos ? std::nullopt : db::to_int(tail.substr(second + 1));
                auto& st = it->second;
                if (seq && at && *seq > st.delivered && st.announced.size() < max_announced)
                    st.announced.emplace_back(*seq, *at);
            }
            spawn_read(std::move(channel_id));
        } else if (kind == 'c') {
            std::string channel_id(rest);
            audiences.erase(channel_id);
            auto notice = realtime::channel_gone_frame();
            to_workers(
                [channel_id, notice](subscriber_registry& r) { r.channel_deleted(channel_id, notice); });
        } else if (kind == 's') {
            std::string hash(rest);
            to_workers([hash](subscriber_registry& r) { r.session_ended(hash); });
        } else if (kind == 'x') {
            auto colon = rest.find(':');
            if (colon == std::string_view::npos) return;
            std::string channel_id(rest.substr(0, colon));
            std::string membership(rest.substr(colon + 1));
            audiences.erase(channel_id);
            to_workers([channel_id, membership](subscriber_registry& r) {
                r.channel_member_ended(channel_id, membership);
            });
        } else if (kind == 'k') {
            std::string membership(rest);
            to_workers([membership](subscriber_registry& r) { r.membership_ended(membership); });
        } else if (kind == 'a') {
            audiences.erase(std::string(rest));
        } else if (kind == 'n') {
            if (on_queued) on_queued();
        } else if (!watched.empty()) {
            on_attention(kind, rest);
        }
    }

    // --- Attention streams ---------------------------------------------------------------------------

    // Who may read the channel, from memory or the database; nullopt when it is gone or unreadable now.
    asio::awaitable<std::optional<audience_entry>> audience_of(std::string channel_id) {
        if (auto it = audiences.find(channel_id); it != audiences.end()) co_return it->second;
        auto a = co_await db::channel_audience_of(pool, channel_id);
        if (!a) {
            log.warn("realtime_audience_failed", {{"channel", channel_id}, {"error", a.error().message()}});
            co_return std::nullopt;
        }
        if (!*a) co_return std::nullopt;
        audience_entry e;
        e.community_id = (*a)->community_id;
        if ((*a)->kind != "public")
            e.readers = std::make_shared<const std::vector<std::string>>(std::move((*a)->members));
        if (audiences.size() >= max_audiences) audiences.clear();
        audiences[channel_id] = e;
        co_return e;
    }

    asio::awaitable<void> to_streams(std::string channel_id, net::ws_frame frame) {
        auto a = co_await audience_of(channel_id);
        if (!a || !watched_community(a->community_id)) co_return;
        to_workers([community = a->community_id, readers = a->readers, frame](subscriber_registry& r) {
            r.streams().to_readers(community, readers, frame);
        });
    }

    // A channel nobody here follows announced new messages: if its community is watched, follow it
    // from a little before them (the pages drop what they already counted).
    asio::awaitable<void> discover(std::string channel_id, std::int64_t seq) {
        auto a = co_await audience_of(channel_id);
        if (!a || !watched_community(a->community_id)) co_return;
        auto [it, fresh] = channels.try_emplace(channel_id);
        if (fresh) {
            it->second.delivered = std::max<std::int64_t>(0, seq - stream_lookback);
            it->second.community_id = a->community_id;
            it->second.href = "/community/" + a->community_id + "/channel/" + channel_id;
        }
        spawn_read(channel_id);
    }

    // r: (a read marker moved), t: (typing), p: (presence).
    void on_attention(char kind, std::string_view rest) {
        auto fields = split(rest);
        if (kind == 'r' && fields.size() == 6) {
            db::unread_row c;
            c.channel_id = std::string(fields[1]);
            c.read_seq = db::to_int(fields[2]).value_or(0);
            c.last_seq = db::to_int(fields[3]).value_or(0);
            c.unread = static_cast<int>(db::to_int(fields[4]).value_or(0));
            c.mentions = static_cast<int>(db::to_int(fields[5]).value_or(0));
            auto frame = read_frame(c);
            to_workers([membership = std::string(fields[0]), frame](subscriber_registry& r) {
                r.streams().to_member(membership, frame);
            });
        } else if (kind == 't' && fields.size() >= 3) {
            // The name is last and may hold colons.
            auto name_at = fields[0].size() + fields[1].size() + 2;
            auto frame = typing_frame(std::string(fields[0]), std::string(fields[1]),
                                      std::string(rest.substr(std::min(name_at, rest.size()))));
            asio::co_spawn(ctx, to_streams(std::string(fields[0]), std::move(frame)),
                           log_exceptions{log, "realtime_stream_crashed"});
        } else if (kind == 'p' && fields.size() == 1) {
            asio::co_spawn(ctx, announce_presence(std::string(fields[0])),
                           log_exceptions{log, "realtime_stream_crashed"});
        }
    }

    static std::vector<std::string_view> split(std::string_view s) {
        std::vector<std::string_view> out;
        for (;;) {
            auto colon = s.find(':');
            out.push_back(s.substr(0, colon));
            if (colon == std::string_view::npos) return out;
            s.remove_prefix(colon + 1);
        }
    }

    asio::awaitable<void> announce_presence(std::string user_id) {
        auto p = co_await db::presence_of(pool, user_id);
        if (!p) {
            log.warn("realtime_presence_failed", {{"user", user_id}, {"error", p.error().message()}});
            co_return;
        }
        std::vector<std::string> here;
        for (auto& c : p->communities)
            if (watched_community(c)) here.push_back(std::move(c));
        if (here.empty()) co_return;
        auto frame = presence_frame(user_id, p->online);
        to_workers([here = std::move(here), frame](subscriber_registry& r) {
            r.streams().to_communities(here, frame);
        });
    }

    asio::awaitable<void> watch(std::string community_id) {
        ++watched[community_id];
        co_return;
    }

    void unwatch(const std::string& community_id) {
        auto it = watched.find(community_id);
        if (it == watched.end() || --it->second > 0) return;
        watched.erase(it);
        std::erase_if(channels, [&](const auto& c) {
            return c.second.community_id == community_id && c.second.refs <= 0 && !c.second.reading;
        });
    }

    // --- Presence ------------------------------------------------------------------------------------

    void presence_change(const std::string& user_id, int tabs, int visible) {
        auto& c = presence[user_id];
        const bool was_here = c.tabs > 0, was_visible = c.visible > 0;
        c.tabs = std::max(0, c.tabs + tabs);
        c.visible = std::clamp(c.visible + visible, 0, c.tabs);
        if (was_here != (c.tabs > 0) || was_visible != (c.visible > 0)) presence_dirty.insert(user_id);
        if (c.tabs == 0) presence.erase(user_id);
        spawn_presence_writer();
    }

    void spawn_presence_writer() {
        if (presence_writing || presence_dirty.empty() || stopped) return;
        presence_writing = true;
        asio::co_spawn(ctx, write_presence(), [this](std::exception_ptr e) {
            presence_writing = false;
            log_exceptions{log, "realtime_presence_crashed"}(e);
        });
    }

    // One write in flight; changes meanwhile go in the next one.
    asio::awaitable<void> write_presence() {
        while (!presence_dirty.empty() && !stopped) {
            std::vector<db::presence_count> batch;
            for (const auto& u : presence_dirty) {
                auto it = presence.find(u);
                db::presence_count c;
                c.user_id = u;
                if (it != presence.end()) {
                    c.tabs = it->second.tabs;
                    c.visible = it->second.visible;
                }
                batch.push_back(std::move(c));
            }
            auto users = std::move(presence_dirty);
            presence_dirty.clear();
            auto r = co_await db::write_presence(pool, instance, std::move(batch));
            if (!r) {
                log.warn("realtime_presence_failed", {{"error", r.error().message()}});
                presence_dirty.merge(users);
                presence_retry.expires_after(std::chrono::seconds(1));
                boost::system::error_code ec;
                co_await presence_retry.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            }
        }
        presence_writing = false;
    }

    asio::awaitable<void> heartbeat_loop() {
        while (!stopped) {
            auto created = co_await db::instance_heartbeat(pool, instance);
            if (!created) {
                log.warn("realtime_heartbeat_failed", {{"error", created.error().message()}});
            } else if (*created) {
                // New, or swept by another instance while we could not reach the database: every count again.
                for (const auto& [u, _] : presence)
                    presence_dirty.insert(u);
                spawn_presence_writer();
            }
            heartbeat.expires_after(heartbeat_every);
            boost::system::error_code ec;
            co_await heartbeat.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
    }

    asio::awaitable<db::result<std::int64_t>> track(std::string channel_id) {
        auto position = co_await db::find_channel_position(pool, channel_id);
        if (!position) co_return position.error();
        if (!*position)
            co_return db::failure<std::int64_t>(make_error_code(db::sqlstate::foreign_key_violation));
        auto& st = channels[channel_id];
        if (st.refs++ == 0 && st.community_id.empty()) {
            st.community_id = (*position)->community_id;
            st.delivered = (*position)->last_seq;
            st.href = "/community/" + (*position)->community_id + "/channel/" + channel_id;
            // Anything committed between that read and now was announced before we listened for this
            // channel: read forward once so it is not left waiting for the next message.
            spawn_read(channel_id);
        }
        co_return st.delivered;
    }

    void untrack(const std::string& channel_id) {
        auto it = channels.find(channel_id);
        if (it == channels.end()) return;
        if (--it->second.refs <= 0 && !it->second.reading && !watched_community(it->second.community_id))
            channels.erase(it);
    }

    // This process's presence goes first (so others see its users leave at once), then the connections.
    asio::awaitable<void> stop() {
        stopped = true;
        retry.cancel();
        heartbeat.cancel();
        presence_retry.cancel();
        auto r = co_await db::remove_instance(pool, instance);
        if (!r) log.warn("realtime_presence_failed", {{"error", r.error().message()}});
        listener->stop();
        pool.close();
    }
};

hub::hub(db::pool_config pool, logger log) : impl_(std::make_shared<impl>(std::move(pool), std::move(log))) {
    asio::co_spawn(impl_->ctx, impl_->listener->run(),
                   log_exceptions{impl_->log, "realtime_listener_crashed"});
    asio::co_spawn(impl_->ctx, impl_->heartbeat_loop(),
                   log_exceptions{impl_->log, "realtime_heartbeat_crashed"});
    thread_ = std::thread([impl = impl_] { impl->ctx.run(); });
}

hub::~hub() {
    stop();
}

void hub::attach(asio::any_io_executor ex, subscriber_registry* registry) {
    std::lock_guard lock(impl_->workers_mutex);
    impl_->workers.emplace_back(std::move(ex), registry);
}

void hub::detach(subscriber_registry* registry) {
    std::lock_guard lock(impl_->workers_mutex);
    std::erase_if(impl_->workers, [registry](const auto& w) { return w.second == registry; });
}

asio::awaitable<db::result<std::int64_t>> hub::track(std::string channel_id) {
    // Runs on the hub's thread; the caller resumes on its own executor.
    auto r = co_await asio::co_spawn(impl_->ctx, impl_->track(std::move(channel_id)), asio::use_awaitable);
    co_return r;
}

void hub::untrack(std::string channel_id) {
    asio::post(impl_->ctx, [impl = impl_, channel_id = std::move(channel_id)] { impl->untrack(channel_id); });
}

void hub::stop() {
    if (!thread_.joinable()) return;
    asio::post(impl_->ctx, [impl = impl_] {
        asio::co_spawn(impl->ctx, impl->stop(), log_exceptions{impl->log, "realtime_stop_crashed"});
    });
    thread_.join();
}

asio::awaitable<void> hub::watch(std::string community_id) {
    // Runs on the hub's thread; the caller resumes on its own executor.
    co_await asio::co_spawn(impl_->ctx, impl_->watch(std::move(community_id)), asio::use_awaitable);
}

void hub::unwatch(std::string community_id) {
    asio::post(impl_->ctx, [impl = impl_, id = std::move(community_id)] { impl->unwatch(id); });
}

void hub::on_notifications_queued(std::function<void()> fn) {
    asio::post(impl_->ctx, [impl = impl_, fn = std::move(fn)]() mutable { impl->on_queued = std::move(fn); });
}

void hub::presence_change(std::string user_id, int tabs, int visible) {
    asio::post(impl_->ctx, [impl = impl_, u = std::move(user_id), tabs, visible] {
        impl->presence_change(u, tabs, visible);
    });
}

const std::string& hub::instance_id() const {
    return impl_->instance;
}

bool hub::listening() const {
    return impl_->listener->connected();
}
std::uint64_t hub::listener_connects() const {
    return impl_->listener->connects();
}
int hub::listener_backend_pid() const {
    return impl_->listener->backend_pid();
}

} // namespace eelchat::realtime
