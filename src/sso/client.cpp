#include "sso/client.hpp"

#include "net/http_fetch.hpp"

namespace eelchat::sso {

namespace asio = boost::asio;

client::client(client_config cfg, logger log)
    : cfg_(std::move(cfg)), log_(std::move(log)), tls_(net::verifying_client_tls()) {}

asio::awaitable<result<std::string>> client::fetch_json(asio::any_io_executor ex, net::fetch_request req) {
    net::fetch_options opts;
    opts.allow_private = true;
    opts.max_body = 512 * 1024; // discovery documents, key sets and token responses are a few KiB
    opts.max_redirects = 2;
    opts.total_timeout = std::chrono::seconds(10);
    opts.user_agent = "eelchat-sso/1.0";
    if (req.accept.empty()) req.accept = "application/json";
    const std::string where = req.url;
    auto r = co_await net::fetch(ex, tls_, std::move(req), std::move(opts));
    if (!r) co_return fail(failure_kind::unreachable, where + ": " + r.error().message);
    if (r->status != 200)
        co_return fail(failure_kind::unreachable, where + ": HTTP " + std::to_string(r->status));
    co_return std::move(r->body);
}

asio::awaitable<result<provider_metadata>> client::metadata(asio::any_io_executor ex) {
    {
        std::lock_guard lock(mutex_);
        if (metadata_ && clock::now() - metadata_fetched_ < cfg_.metadata_ttl) co_return *metadata_;
    }
    net::fetch_request req;
    req.url = discovery_url(cfg_.issuer);
    auto body = co_await fetch_json(ex, std::move(req));
    if (!body) co_return body.error();
    auto parsed = parse_discovery(*body, cfg_.issuer);
    if (!parsed) co_return parsed.error();
    if (auto auth = choose_client_auth(*parsed); !auth) co_return auth.error();
    std::lock_guard lock(mutex_);
    // A new document may name a new jwks_uri: the keys are fetched again from wherever it points.
    if (!metadata_ || metadata_->jwks_uri != parsed->jwks_uri) jwks_.reset();
    metadata_ = *parsed;
    metadata_fetched_ = clock::now();
    log_.info("sso_discovery", {{"issuer", parsed->issuer}, {"token_endpoint", parsed->token_endpoint}});
    co_return std::move(*parsed);
}

asio::awaitable<result<std::shared_ptr<const jwk_set>>>
client::keys(asio::any_io_executor ex, const provider_metadata& m, bool refresh) {
    {
        std::lock_guard lock(mutex_);
        const auto now = clock::now();
        const bool fresh = jwks_ && now - jwks_fetched_ < cfg_.metadata_ttl;
        if (fresh && !refresh) co_return jwks_;
        // A token naming an unknown kid must not make eelchat hammer the provider: one refetch a minute.
        if (jwks_ && refresh && jwks_attempted_ && now - *jwks_attempted_ < cfg_.jwks_refetch_gap)
            co_return jwks_;
        jwks_attempted_ = now;
    }
    net::fetch_request req;
    req.url = m.jwks_uri;
    req.accept = "application/jwk-set+json, application/json";
    auto body = co_await fetch_json(ex, std::move(req));
    if (!body) co_return body.error();
    auto parsed = parse_jwks(*body);
    if (!parsed) co_return parsed.error();
    auto set = std::make_shared<const jwk_set>(std::move(*parsed));
    std::lock_guard lock(mutex_);
    jwks_ = set;
    jwks_fetched_ = clock::now();
    log_.info("sso_jwks", {{"keys", set->keys.size()}});
    co_return set;
}

asio::awaitable<result<id_token_claims>> client::finish(asio::any_io_executor ex, std::string code,
                                                        std::string verifier, std::string nonce,
                                                        std::chrono::system_clock::time_point now) {
    auto m = co_await metadata(ex);
    if (!m) co_return m.error();
    auto auth = choose_client_auth(*m);
    if (!auth) co_return auth.error();
    auto answer = co_await fetch_json(ex, token_request(*m, cfg_.credentials, *auth, code, verifier));
    if (!answer) co_return answer.error();
    auto token = id_token_of(*answer);
    if (!token) co_return token.error();

    id_token_expectations expect;
    expect.issuer = cfg_.issuer;
    expect.client_id = cfg_.credentials.client_id;
    expect.nonce = std::move(nonce);
    auto set = co_await keys(ex, *m, false);
    if (!set) co_return set.error();
    auto verified = verify_id_token(*token, **set, expect, now);
    if (verified || verified.error().kind != failure_kind::unknown_key) co_return verified;
    // The provider may have rotated its keys since they were cached.
    auto again = co_await keys(ex, *m, true);
    if (!again) co_return again.error();
    co_return verify_id_token(*token, **again, expect, now);
}

} // namespace eelchat::sso
