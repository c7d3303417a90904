// eelchat as the OpenID Connect client of one provider (OIDC_ISSUER): the provider's metadata and keys,
// fetched with net/http_fetch and cached for the process, and the two network steps of a sign-in. One
// instance serves every worker thread: the caches are guarded by a mutex and never held across a fetch
// (two workers that miss at once both fetch; the later answer wins, both are the provider's).
#pragma once

#include "core/log.hpp"
#include "sso/discovery.hpp"
#include "sso/failure.hpp"
#include "sso/flow.hpp"
#include "sso/id_token.hpp"
#include "sso/jose.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace eelchat::sso {

struct client_config {
    std::string issuer;
    client_credentials credentials;
    std::chrono::seconds metadata_ttl{3600};   // the discovery document and the JWKS are refetched after this
    std::chrono::seconds jwks_refetch_gap{60}; // an unknown kid refetches the JWKS at most this often
};

class client {
public:
    client(client_config cfg, logger log);

    const client_config& config() const { return cfg_; }

    // The provider's metadata, from the cache or fetched (discovery) and checked.
    // Completes with the metadata or a failure (unreachable, invalid); never throws for the provider's
    // behaviour. Cancellation: none; bounded by the fetch's timeouts.
    boost::asio::awaitable<result<provider_metadata>> metadata(boost::asio::any_io_executor ex);

    // Finishes a sign-in: exchanges `code` (with the PKCE `verifier`) at the token endpoint and verifies
    // the ID token against the provider's keys, `nonce` and `now`. Completes with the token's claims or
    // a failure. Cancellation: none; bounded by the fetches' timeouts.
    boost::asio::awaitable<result<id_token_claims>> finish(boost::asio::any_io_executor ex, std::string code,
                                                           std::string verifier, std::string nonce,
                                                           std::chrono::system_clock::time_point now);

private:
    using clock = std::chrono::steady_clock;

    // GETs or POSTs with the limits of feeds but private addresses allowed (the administrator chose the
    // provider) and JSON accepted; the body of a 200, or unreachable.
    boost::asio::awaitable<result<std::string>> fetch_json(boost::asio::any_io_executor ex,
                                                           net::fetch_request req);
    // The key set, from the cache or fetched; `refresh` refetches unless the last fetch is too recent.
    boost::asio::awaitable<result<std::shared_ptr<const jwk_set>>>
    keys(boost::asio::any_io_executor ex, const provider_metadata& m, bool refresh);

    client_config cfg_;
    logger log_;
    boost::asio::ssl::context tls_;

    std::mutex mutex_; // guards everything below
    std::optional<provider_metadata> metadata_;
    clock::time_point metadata_fetched_{};
    std::shared_ptr<const jwk_set> jwks_;
    clock::time_point jwks_fetched_{};
    std::optional<clock::time_point> jwks_attempted_;
};

} // namespace eelchat::sso
