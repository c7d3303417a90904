#include "realtime/hub.hpp"

#include "core/metrics.hpp"

#include "db/channel_history.hpp"
#include "db/listener.hpp"
#include "db/params.hpp"
#include "db/pool.hpp"
#include "realtime/frames.hpp"
#include "render/templates.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <unordered_map>

namespace eelchat::realtime {

namespace asio = boost::asio;

namespace {

constexpr int read_batch = 200;
constexpr std::string_view events_channel = "eelchat_events";
// Announcements remembered per channel for the delivery lag; past this, later ones go unmeasured.
constexpr std::size_t max_announced = 64;

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
        : log(std::move(l)), conninfo(p.conninfo), pool(ctx.get_executor(), std::move(p), log), retry(ctx) {
        db::listener_options lo;
        lo.conninfo = conninfo;
        lo.channels = {std::string(events_channel)};
        db::listener::callbacks cb;
        cb.on_connected = [this]() -> asio::awaitable<void> { co_await resync(); };
        cb.on_notification = [this](const db::notification& n) { on_notification(n.payload); };
        listener = std::make_unique<db::listener>(ctx.get_executor(), std::move(lo), std::move(cb), log);
    }

    struct channel_state {
        int refs = 0;
        std::int64_t delivered = 0; // every event up to this one has been posted to the workers
        std::string href;           // the channel's address, under which its messages' actions live
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
            }
            if (rows->size() == static_cast<std::size_t>(read_batch)) continue;
            if (st.dirty) {
                st.dirty = false;
                continue;
            }
            st.reading = false;
            if (st.refs <= 0) channels.erase(it); // its last subscriber left while we read
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
            if (it == channels.end()) return; // nobody here follows that channel
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
            to_workers([channel_id, membership](subscriber_registry& r) {
                r.channel_member_ended(channel_id, membership);
            });
        } else if (kind == 'k') {
            std::string membership(rest);
            to_workers([membership](subscriber_registry& r) { r.membership_ended(membership); });
        }
    }

    asio::awaitable<db::result<std::int64_t>> track(std::string channel_id) {
        auto position = co_await db::find_channel_position(pool, channel_id);
        if (!position) co_return position.error();
        if (!*position)
            co_return db::failure<std::int64_t>(make_error_code(db::sqlstate::foreign_key_violation));
        auto& st = channels[channel_id];
        if (st.refs++ == 0) {
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
        if (--it->second.refs <= 0 && !it->second.reading) channels.erase(it);
    }

    void stop() {
        stopped = true;
        retry.cancel();
        listener->stop();
        pool.close();
    }
};

hub::hub(db::pool_config pool, logger log) : impl_(std::make_shared<impl>(std::move(pool), std::move(log))) {
    asio::co_spawn(impl_->ctx, impl_->listener->run(),
                   log_exceptions{impl_->log, "realtime_listener_crashed"});
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
    asio::post(impl_->ctx, [impl = impl_] { impl->stop(); });
    thread_.join();
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
