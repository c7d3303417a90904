// Receiving one uploaded file: its bytes go from the request, piece by piece, into a new blob of the
// storage (never all of them in memory), its type is sniffed from its first bytes (never taken from the
// client), and an image small enough to preview gets its thumbnail, made once, here.
//
// The sniffing and the decoding run on `work` (a thread pool for blocking work), never on the I/O thread
// that called; the operation completes on the caller's executor.
#pragma once

#include "net/body_stream.hpp"
#include "uploads/storage.hpp"
#include "uploads/thumbnail.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace eelchat::uploads {

struct receive_options {
    std::int64_t max_bytes = 0;         // the file's limit: beyond it, file_too_large
    std::int64_t preview_max_bytes = 0; // images up to this size get a thumbnail (0: none do)
    thumbnail_limits thumbnails;
};

struct received_file {
    blob_info blob;
    std::string content_type; // sniffed
    // Decoded as a raster image and given a thumbnail: the only files a page shows inline.
    bool inline_image = false;
    std::optional<blob_info> thumbnail;
    std::string thumbnail_type;
    int width = 0, height = 0; // the thumbnail's
};

// Reads `body` to its end into a new blob of `store`. Completes with what was stored; on any error
// nothing is kept: boost::system::errc::file_too_large past opts.max_bytes, errc::connection_aborted
// when the client went away, stalled or sent a malformed body, or the storage's error. A thumbnail that
// cannot be made (not a readable image, too many pixels) is no error: the file is then shown as a file.
boost::asio::awaitable<result<received_file>>
receive_file(net::request_body& body, storage& store, boost::asio::thread_pool& work, receive_options opts);

// Runs `f` (blocking) on `work` and completes with its result on the caller's executor. co_spawn keeps
// `f` alive in the spawned frame.
template <class F> auto run_on(boost::asio::thread_pool& work, F f) -> boost::asio::awaitable<decltype(f())> {
    using R = decltype(f());
    co_return co_await boost::asio::co_spawn(
        work.get_executor(), [f = std::move(f)]() mutable -> boost::asio::awaitable<R> { co_return f(); },
        boost::asio::use_awaitable);
}

} // namespace eelchat::uploads
