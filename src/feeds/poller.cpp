#include "feeds/poller.hpp"

#include "core/background.hpp"
#include "core/metrics.hpp"

#include "db/feed_store.hpp"
#include "db/pool.hpp"
#include "feeds/entries.hpp"
#include "feeds/parser.hpp"
#include "net/http_fetch.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>

namespace eelchat::feeds {

namespace asio = boost::asio;

namespace {

auto& fetches_total = metrics::global().counters(
    "eelchat_feed_fetches_total",
    "Feed fetches by outcome: posted (new entries posted), unchanged (nothing new, or 304), "
    "fetch_failed, parse_failed, record_failed (the database), claim_lost (another instance took it).",
    {"outcome"});

void count_fetch(std::string_view outcome) {
    fetches_total.with({outcome}).inc();
}

} // namespace

std::chrono::seconds retry_delay(int failures) {
    constexpr std::chrono::seconds first(300), most(12 * 3600);
    auto d = first;
    for (int i = 1; i < failures && d < most; ++i)
        d *= 2;
    return std::min(d, most);
}

struct poller::impl {
    impl(db::pool_config p, logger l, poller_options o)
        : log(std::move(l)), opts(std::move(o)), pool(ctx.get_executor(), std::move(p), log),
          tls(net::verifying_client_tls()), tick(ctx), place_free(ctx) {}

    asio::io_context ctx{1};
    logger log;
    poller_options opts;
    db::pool pool;
    asio::ssl::context tls;
    asio::steady_timer tick;       // the wait between rounds; cancelled by wake() and stop()
    asio::steady_timer place_free; // cancelled whenever a fetch finishes
    std::size_t in_flight = 0;
    bool woken = false;
    bool stopped = false;
    std::atomic<std::uint64_t> rounds{0};

    asio::awaitable<void> run() {
        while (!stopped) {
            woken = false;
            co_await round();
            rounds.fetch_add(1, std::memory_order_release);
            if (stopped || woken) continue;
            tick.expires_after(opts.poll_every);
            boost::system::error_code ec;
            co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
    }

    // Keeps up to concurrent_fetches fetches going, claiming a due feed for each place as soon as one
    // frees up, until nothing more is due. A fetch never waits for another: a feed that trickles its
    // bytes holds its own place until its deadline, not the others' turn. The fetches still running when
    // nothing more is due finish on their own.
    asio::awaitable<void> round() {
        while (!stopped) {
            while (in_flight >= opts.concurrent_fetches && !stopped) {
                place_free.expires_at(asio::steady_timer::time_point::max());
                boost::system::error_code ec;
                co_await place_free.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            }
            if (stopped) co_return;
            const auto places = static_cast<int>(opts.concurrent_fetches - in_flight);
            auto claimed = co_await db::claim_due_feeds(pool, places, opts.lease);
            if (!claimed) {
                log.warn("feeds_claim_failed", {{"error", claimed.error().message()}});
                co_return;
            }
            if (claimed->empty()) co_return;
            for (auto& f : *claimed) {
                ++in_flight;
                asio::co_spawn(ctx, fetch_one(std::move(f)), [this](std::exception_ptr e) {
                    log_exceptions{log, "feed_fetch_crashed"}(e);
                    --in_flight;
                    place_free.cancel();
                });
            }
        }
    }

    asio::awaitable<void> fetch_one(db::claimed_feed feed) {
        net::fetch_request req;
        req.url = feed.url;
        req.etag = feed.etag;
        req.last_modified = feed.last_modified;
        net::fetch_options fo;
        fo.allow_private = opts.allow_private;
        fo.user_agent = opts.user_agent;
        fo.connect_timeout = opts.connect_timeout;
        fo.read_timeout = opts.read_timeout;
        auto got = co_await net::fetch(ctx.get_executor(), tls, std::move(req), fo);
        if (!got) {
            count_fetch("fetch_failed");
            co_await record_failure(feed, got.error().message);
            co_return;
        }
        db::feed_fetch_record rec;
        rec.next_fetch_in = opts.refetch_after;
        if (got->status != 304) {
            auto parsed = feeds::parse_feed(got->body);
            if (!parsed) {
                count_fetch("parse_failed");
                co_await record_failure(feed, parsed.error().message);
                co_return;
            }
            auto news = feeds::entries_to_post(*parsed, feed.last_post_uri, opts.max_posts_per_fetch);
            for (const auto& e : news.entries)
                rec.messages.push_back(feeds::format_entry(e));
            rec.last_post_uri = std::move(news.last_seen_id);
            rec.etag = std::move(got->etag);
            rec.last_modified = std::move(got->last_modified);
        }
        const auto posted = rec.messages.size();
        auto recorded = co_await db::record_feed_fetch(pool, feed, std::move(rec));
        if (!recorded) {
            count_fetch("record_failed");
            log.warn("feed_record_failed", {{"url", feed.url}, {"error", recorded.error().message()}});
        } else if (!*recorded) {
            count_fetch("claim_lost");
            log.info("feed_claim_lost", {{"url", feed.url}});
        } else {
            count_fetch(posted > 0 ? "posted" : "unchanged");
            log.info("feed_fetched", {{"url", feed.url},
                                      {"channel", feed.channel_id},
                                      {"status", got->status},
                                      {"posted", posted}});
        }
    }

    asio::awaitable<void> record_failure(const db::claimed_feed& feed, std::string error) {
        const int failures = feed.failures + 1;
        const auto retry = retry_delay(failures);
        log.warn("feed_failed", {{"url", feed.url},
                                 {"channel", feed.channel_id},
                                 {"error", error},
                                 {"failures", failures},
                                 {"retry_s", retry.count()}});
        auto recorded = co_await db::record_feed_failure(pool, feed, std::move(error), retry);
        if (!recorded)
            log.warn("feed_record_failed", {{"url", feed.url}, {"error", recorded.error().message()}});
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

poller::poller(db::pool_config pool, logger log, poller_options opts)
    : impl_(std::make_shared<impl>(std::move(pool), std::move(log), std::move(opts))) {
    asio::co_spawn(impl_->ctx, impl_->run(), log_exceptions{impl_->log, "feed_poller_crashed"});
    thread_ = std::thread([impl = impl_] { impl->ctx.run(); });
}

poller::~poller() {
    stop();
}

void poller::wake() {
    asio::post(impl_->ctx, [impl = impl_] { impl->wake(); });
}

void poller::stop() {
    if (!thread_.joinable()) return;
    asio::post(impl_->ctx, [impl = impl_] { impl->stop(); });
    // Fetches end by themselves within their deadlines; waiting for one at shutdown is not worth it.
    if (!join_or_abandon(thread_, impl_->ctx, std::chrono::seconds(2), impl_))
        impl_->log.warn("feed_poller_abandoned", {{"in_flight", impl_->in_flight}});
}

std::uint64_t poller::rounds() const {
    return impl_->rounds.load(std::memory_order_acquire);
}

} // namespace eelchat::feeds
