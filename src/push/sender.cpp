#include "push/sender.hpp"

#include "core/background.hpp"
#include "core/base64url.hpp"
#include "core/metrics.hpp"
#include "db/push_store.hpp"
#include "net/http_fetch.hpp"
#include "push/encryption.hpp"
#include "push/payload.hpp"
#include "push/subscription.hpp"
#include "push/vapid.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace eelchat::push {

namespace asio = boost::asio;

namespace {

auto& pushes_total = metrics::global().counters(
    "eelchat_push_requests_total",
    "Requests to push services by outcome: sent, gone (the subscription was removed), retry (busy or "
    "unreachable, tried again later), refused (any other answer), failed (given up after the last try).",
    {"outcome"});
auto& notifications_total = metrics::global().counters(
    "eelchat_push_notifications_total",
    "Queued notifications by what became of their push: sent (to at least one browser), visible (the "
    "person had eelchat in front of them), unreadable (deleted, or the channel is no longer theirs), "
    "no_subscription.",
    {"outcome"});

void count_request(std::string_view outcome) {
    pushes_total.with({outcome}).inc();
}
void count_notification(std::string_view outcome) {
    notifications_total.with({outcome}).inc();
}

enum class outcome { sent, gone, retry, refused };

} // namespace

std::chrono::seconds retry_delay(int attempt) {
    std::chrono::seconds d(10);
    for (int i = 1; i < attempt && d < std::chrono::hours(1); ++i)
        d *= 5;
    return std::min<std::chrono::seconds>(d, std::chrono::hours(1));
}

struct sender::impl {
    impl(db::pool_config p, logger l, sender_options o)
        : log(std::move(l)), opts(std::move(o)), pool(ctx.get_executor(), std::move(p), log),
          tls(net::verifying_client_tls()), tick(ctx), place_free(ctx) {}

    asio::io_context ctx{1};
    logger log;
    sender_options opts;
    db::pool pool;
    asio::ssl::context tls;
    asio::steady_timer tick;
    asio::steady_timer place_free;
    std::optional<vapid_keys> keys;
    std::size_t in_flight = 0;
    bool woken = false;
    bool stopped = false;

    asio::awaitable<void> run() {
        co_await load_keys();
        while (!stopped) {
            woken = false;
            auto wait = co_await round();
            if (stopped) break;
            if (woken) continue;
            tick.expires_after(wait);
            boost::system::error_code ec;
            co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
    }

    // The installation's keys: the stored pair, or a new one stored by whichever instance comes first.
    asio::awaitable<void> load_keys() {
        auto delay = std::chrono::milliseconds(500);
        while (!stopped) {
            auto fresh = generate_vapid_keys();
            db::stored_vapid_keys mine{text::base64url_encode(fresh.private_key),
                                       text::base64url_encode(fresh.public_key)};
            auto stored = co_await db::installation_vapid_keys(pool, std::move(mine));
            if (stored) {
                auto d = text::base64url_decode(stored->private_key);
                if (d) keys = vapid_keys_from_private(*d);
                if (keys && text::base64url_encode(keys->public_key) == stored->public_key) co_return;
                log.error("push_keys_invalid", {{"error", "the stored VAPID keys do not form a P-256 pair"}});
                keys.reset();
                co_return; // nothing can be signed; pushes stay queued until an operator fixes push_keys
            }
            log.warn("push_keys_failed", {{"error", stored.error().message()}});
            tick.expires_after(delay);
            boost::system::error_code ec;
            co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::seconds(30));
        }
    }

    // Keeps up to opts.concurrent notifications being sent until nothing is due; answers how long to
    // wait before the next look (the earliest retry, or poll_every).
    asio::awaitable<std::chrono::steady_clock::duration> round() {
        if (!keys) co_return opts.poll_every;
        while (!stopped) {
            while (in_flight >= opts.concurrent && !stopped) {
                place_free.expires_at(asio::steady_timer::time_point::max());
                boost::system::error_code ec;
                co_await place_free.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            }
            if (stopped) break;
            const auto places = static_cast<int>(opts.concurrent - in_flight);
            auto claimed = co_await db::claim_push_notifications(pool, places, opts.lease);
            if (!claimed) {
                log.warn("push_claim_failed", {{"error", claimed.error().message()}});
                co_return std::chrono::seconds(5);
            }
            if (claimed->empty()) break;
            for (auto& n : *claimed) {
                ++in_flight;
                asio::co_spawn(ctx, send_one(std::move(n)), [this](std::exception_ptr e) {
                    log_exceptions{log, "push_send_crashed"}(e);
                    --in_flight;
                    place_free.cancel();
                });
            }
        }
        auto due = co_await db::next_push_due_in(pool);
        std::chrono::steady_clock::duration wait = opts.poll_every;
        if (due && *due)
            wait = std::min<std::chrono::steady_clock::duration>(wait, **due + std::chrono::seconds(1));
        co_return wait;
    }

    asio::awaitable<void> send_one(db::claimed_notification n) {
        const bool wanted = n.readable && !n.deleted;
        const bool email = opts.email_after && wanted;
        if (!wanted || n.visible || n.subscriptions.empty()) {
            count_notification(!wanted ? "unreadable" : n.visible ? "visible" : "no_subscription");
            co_await finish(n, {}, email);
            co_return;
        }
        const std::string payload = push_payload(n);
        std::vector<std::string> pending;
        bool any_sent = false;
        for (const auto& sub : n.subscriptions) {
            auto o = co_await send_to(sub, payload);
            if (o == outcome::sent) any_sent = true;
            if (o == outcome::retry) pending.push_back(sub.id);
        }
        if (any_sent) count_notification("sent");
        if (!pending.empty() && n.attempts >= opts.max_attempts) {
            count_request("failed");
            log.warn("push_given_up", {{"notification", n.id}, {"subscriptions", pending.size()}});
            pending.clear();
        }
        co_await finish(n, std::move(pending), email);
    }

    asio::awaitable<void> finish(const db::claimed_notification& n, std::vector<std::string> pending,
                                 bool email) {
        const bool retry = !pending.empty();
        auto done = co_await db::finish_push(pool, n.id, std::move(pending), retry_delay(n.attempts), email);
        if (!done)
            log.warn("push_finish_failed", {{"notification", n.id}, {"error", done.error().message()}});
        // The run loop's wait may be longer than this retry's delay: let it look again.
        if (retry) tick.cancel();
    }

    asio::awaitable<outcome> send_to(const db::push_subscription_row& sub, const std::string& payload) {
        auto where = net::parse_url(sub.endpoint);
        auto p256dh = text::base64url_decode(sub.p256dh);
        auto auth = text::base64url_decode(sub.auth);
        std::optional<std::string> body;
        if (where && (where->https() || opts.allow_private) && p256dh && auth)
            body = encrypt(subscription_keys{*p256dh, *auth}, payload);
        if (!body) {
            // Stored subscriptions were checked when they came; this one is not usable under this
            // instance's settings (PUSH_ALLOW_PRIVATE differs between instances?). Left for the others.
            count_request("refused");
            log.warn("push_subscription_unusable", {{"subscription", sub.id}});
            co_return outcome::refused;
        }
        net::fetch_request req;
        req.url = sub.endpoint;
        req.body = std::move(*body);
        req.content_type = "application/octet-stream";
        req.accept = "*/*";
        req.headers = {
            {"Content-Encoding", "aes128gcm"},
            {"TTL", std::to_string(opts.ttl.count())},
            {"Urgency", "high"},
            {"Authorization", vapid_authorization(*keys, audience_of(*where), opts.subject,
                                                  std::chrono::system_clock::now() + std::chrono::hours(12))},
        };
        net::fetch_options fo;
        fo.allow_private = opts.allow_private;
        fo.connect_timeout = opts.timeout;
        fo.read_timeout = opts.timeout;
        fo.total_timeout = opts.timeout;
        fo.max_body = 64 * 1024;
        fo.user_agent = "eelchat-push/1.0";
        auto got = co_await net::fetch(ctx.get_executor(), tls, std::move(req), fo);
        if (got) {
            count_request("sent");
            co_return outcome::sent;
        }
        const auto& e = got.error();
        const int status = e.reason == net::fetch_errc::http_status ? e.http_status : 0;
        if (status == 404 || status == 410) {
            count_request("gone");
            log.info("push_subscription_gone", {{"subscription", sub.id}, {"status", status}});
            co_await forget(sub.id);
            co_return outcome::gone;
        }
        const bool transient = status == 0 || status == 429 || status >= 500;
        count_request(transient ? "retry" : "refused");
        log.warn(
            "push_request_failed",
            {{"subscription", sub.id}, {"host", where->host}, {"error", e.message}, {"retry", transient}});
        co_return transient ? outcome::retry : outcome::refused;
    }

    asio::awaitable<void> forget(const std::string& id) {
        auto r = co_await db::forget_push_subscription(pool, id);
        if (!r) log.warn("push_forget_failed", {{"subscription", id}, {"error", r.error().message()}});
    }

    void wake() {
        woken = true;
        tick.cancel();
    }

    void stop() {
        stopped = true;
        tick.cancel();
        place_free.cancel();
        pool.close();
    }
};

sender::sender(db::pool_config pool, logger log, sender_options opts)
    : impl_(std::make_shared<impl>(std::move(pool), std::move(log), std::move(opts))) {
    asio::co_spawn(impl_->ctx, impl_->run(), log_exceptions{impl_->log, "push_sender_crashed"});
    thread_ = std::thread([impl = impl_] { impl->ctx.run(); });
}

sender::~sender() {
    stop();
}

void sender::wake() {
    asio::post(impl_->ctx, [impl = impl_] { impl->wake(); });
}

void sender::stop() {
    if (!thread_.joinable()) return;
    asio::post(impl_->ctx, [impl = impl_] { impl->stop(); });
    if (!join_or_abandon(thread_, impl_->ctx, std::chrono::seconds(2), impl_))
        impl_->log.warn("push_sender_abandoned", {{"in_flight", impl_->in_flight}});
}

} // namespace eelchat::push
