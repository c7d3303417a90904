// A poster: one signed-in member with a keep-alive HTTP connection to one instance, posting bench
// messages to a channel through the compose form exactly as a browser does (cookie, CSRF field,
// HX-Request). The message text carries the bench marker (post number, channel, send time).
#pragma once

#include "clients.hpp"
#include "scenario.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>

namespace eelbench {

class poster {
public:
    poster(boost::asio::any_io_executor ex, endpoint_spec where, bench_user user, int message_size)
        : http_(ex), where_(std::move(where)), user_(std::move(user)), message_size_(message_size) {}

    // Posts message number `post` to `channel` (bench index) at `path`. `sent_ns` is the time the
    // latency counts from (now, or the intended time of an open-loop schedule). Completes with the HTTP
    // status, 0 when the connection failed (it reconnects on the next call).
    boost::asio::awaitable<unsigned> post(const std::string& path, std::uint32_t channel, std::uint64_t post,
                                          std::int64_t sent_ns);

    // A GET with the member's cookie; the body goes to `body`.
    boost::asio::awaitable<unsigned> get(const std::string& target, std::string& body);

    const std::string& last_error() const { return last_error_; }

private:
    boost::asio::awaitable<bool> ensure_connected();

    http_client http_;
    endpoint_spec where_;
    bench_user user_;
    int message_size_;
    std::string last_error_;
};

// A client_id for post number n: a UUID that is unique within a world (its users are fresh).
std::string client_id_for(std::uint64_t n);

} // namespace eelbench
