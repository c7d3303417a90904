// Bodies that do not fit in memory: a request body a handler reads piece by piece as it arrives (an
// upload, written to storage as it comes), and a response body the server writes piece by piece (a stored
// file). Either way a connection holds one piece at a time, whatever the size.
//
// A route asks for a streamed request body through http_handler::streams_body(); the server then reads
// only the header before calling the handler, and request_info::body reads the rest. A handler that
// answers without reading the whole body (a refusal: too large, not allowed) gets its answer sent at once
// and the connection closed, so a client is told "no" before it has sent everything.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eelchat::net {

class request_body {
public:
    virtual ~request_body() = default;

    // The Content-Length the client announced; nullopt for a chunked body.
    virtual std::optional<std::uint64_t> announced_length() const noexcept = 0;
    // Reads the next piece of the body, at most 64 KiB. Completes with an empty view once the body is
    // complete (and every time after), or with an error: the connection failed, the read deadline passed
    // with no byte arriving, or the body is malformed. The view is valid until the next call. The first
    // call answers "100 Continue" to a client that waits for it (Expect: 100-continue), so a client whose
    // request is refused before reading is spared sending the body at all. Not cancellable.
    virtual boost::asio::awaitable<std::string_view> read_some(boost::system::error_code& ec) = 0;
    // Bytes of body read so far.
    virtual std::uint64_t received() const noexcept = 0;
    virtual bool complete() const noexcept = 0;
};

class response_body {
public:
    virtual ~response_body() = default;

    // The next piece to send into `piece` (replacing what it held). Completes with true and an empty
    // piece at the end; false when the source failed (the server then closes the connection, which the
    // client sees as a truncated download because the Content-Length was already sent).
    virtual boost::asio::awaitable<bool> next(std::string& piece) = 0;
};

} // namespace eelchat::net
