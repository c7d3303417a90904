// A whole eelchat over real sockets for route tests: a scratch database with the migrations applied,
// the app on a free port with two workers, and a mailbox that records what it would have emailed.
#pragma once

#include "app/app.hpp"
#include "core/embedded.hpp"
#include "db/connection.hpp"
#include "db/migrations.hpp"
#include "mail/mailer.hpp"
#include "net/server.hpp"

#include "support/async.hpp"
#include "support/scratch_db.hpp"

#include <catch2/catch.hpp>

#include <mutex>
#include <regex>

namespace eelchat::test {

// What the app "sent". Shared by the workers' mailers, so guarded by a mutex.
class mailbox {
public:
    void add(mail::message m) {
        std::lock_guard l(m_);
        sent_.push_back(std::move(m));
    }
    std::vector<mail::message> to(const std::string& address) const {
        std::lock_guard l(m_);
        std::vector<mail::message> out;
        for (const auto& m : sent_)
            if (m.to == address) out.push_back(m);
        return out;
    }
    // The last match of `pattern`'s first group in the newest message to `address`.
    std::string last_match(const std::string& address, const std::string& pattern) const {
        auto ms = to(address);
        if (ms.empty()) FAIL("no mail was sent to " << address);
        std::smatch m;
        if (!std::regex_search(ms.back().text, m, std::regex(pattern)))
            FAIL("no " << pattern << " in the mail");
        return m[1];
    }
    std::size_t count() const {
        std::lock_guard l(m_);
        return sent_.size();
    }

private:
    mutable std::mutex m_;
    std::vector<mail::message> sent_;
};

class recording_mailer : public mail::mailer {
public:
    explicit recording_mailer(mailbox& box) : box_(box) {}
    boost::asio::awaitable<boost::system::error_code> send(const mail::message& m) override {
        box_.add(m);
        co_return boost::system::error_code{};
    }

private:
    mailbox& box_;
};

// Runs one or more statements on a database (test set-up: ageing rows, killing backends, bulk data).
inline void sql_exec(const std::string& url, const std::string& statements) {
    boost::asio::io_context ctx;
    auto r = run_async(ctx, [&]() -> boost::asio::awaitable<db::result<void>> {
        auto conn =
            co_await db::connection::connect(url, "eelchat-tests", std::chrono::seconds(5), logger::null());
        if (!conn) co_return conn.error();
        co_return co_await (*conn)->execute(statements,
                                            std::chrono::steady_clock::now() + std::chrono::seconds(20));
    }());
    REQUIRE(r.has_value());
}

// The first column of the first row of a query ("" when there is no row).
inline std::string sql_value(const std::string& url, const std::string& query) {
    boost::asio::io_context ctx;
    auto v = run_async(ctx, [&]() -> boost::asio::awaitable<db::result<std::string>> {
        auto conn =
            co_await db::connection::connect(url, "eelchat-tests", std::chrono::seconds(5), logger::null());
        if (!conn) co_return conn.error();
        std::vector<db::param> none;
        auto r =
            co_await (*conn)->query(query, none, std::chrono::steady_clock::now() + std::chrono::seconds(10));
        if (!r) co_return r.error();
        co_return std::string(r->rows() ? r->get(0, 0) : "");
    }());
    REQUIRE(v.has_value());
    return *v;
}

inline void apply_all_migrations(const std::string& url) {
    boost::asio::io_context ctx;
    auto applied = run_async(ctx, [&]() -> boost::asio::awaitable<db::result<int>> {
        auto conn =
            co_await db::connection::connect(url, "eelchat-tests", std::chrono::seconds(5), logger::null());
        if (!conn) co_return conn.error();
        auto list = db::parse_migrations(embedded::migrations());
        if (!list) co_return list.error();
        co_return co_await db::apply_migrations(**conn, *list, logger::null(),
                                                std::chrono::steady_clock::now() + std::chrono::seconds(30));
    }());
    REQUIRE(applied.has_value());
}

struct app_server {
    scratch_db db;
    mailbox mail;
    std::unique_ptr<net::server> srv;

    std::shared_ptr<realtime::hub> hub;
    std::shared_ptr<feeds::poller> feeds;

    // With `database_url`, shares that database (several instances of one eelchat) instead of a scratch one.
    explicit app_server(std::function<void(config&)> tweak = {}, std::string database_url = {}) {
        if (database_url.empty()) apply_all_migrations(db.url());
        const std::string url = database_url.empty() ? db.url() : database_url;
        config cfg;
        cfg.database_url = url;
        cfg.db_pool_size = 2;
        cfg.db_timeout = std::chrono::milliseconds(2000);
        cfg.assets_dir = EELCHAT_ASSETS_DIR;
        cfg.base_url = "http://localhost:8080"; // only the path of emailed links is followed
        cfg.feeds_allow_private = true;         // the tests' feed server is on loopback
        // Tests post quickly from one address; the posting limits have tests of their own that set them.
        cfg.limits.messages_per_minute_per_user = 0;
        cfg.limits.messages_per_minute_per_address = 0;
        if (tweak) tweak(cfg);
        auto shared = std::make_shared<shared_state>(
            shared_state{cfg, logger::null(), render::asset_store::load(cfg.assets_dir)});
        shared->make_mailer = [this](boost::asio::io_context&) {
            return std::make_unique<recording_mailer>(mail);
        };
        hub = start_realtime_hub(cfg, logger::null());
        shared->hub = hub;
        feeds::poller_options fo;
        fo.connect_timeout = fo.read_timeout = std::chrono::seconds(2);
        feeds = start_feed_poller(cfg, logger::null(), fo);
        shared->feeds = feeds;
        net::server_options o;
        o.port = 0;
        o.threads = 2;
        o.limits.max_connections_per_address = cfg.trust_proxy ? 0 : cfg.limits.http_connections_per_address;
        srv = std::make_unique<net::server>(
            o, [shared](boost::asio::io_context& ctx) { return std::make_unique<app>(ctx, shared); },
            logger::null());
        srv->start();
    }
    ~app_server() {
        srv->stop();
        srv->join(std::chrono::seconds(10));
        feeds->stop();
        hub->stop();
    }
    std::uint16_t port() const { return srv->port(); }
};

} // namespace eelchat::test
