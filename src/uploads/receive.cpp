#include "uploads/receive.hpp"

#include "uploads/sniff.hpp"

#include <utility>

namespace eelchat::uploads {

namespace asio = boost::asio;

namespace {

// Stores an encoded thumbnail as a blob of its own.
asio::awaitable<result<blob_info>> store_bytes(storage& store, const std::string& bytes) {
    auto writer = co_await store.begin(static_cast<std::int64_t>(bytes.size()));
    if (!writer) co_return writer.error();
    auto appended = co_await (*writer)->append(bytes);
    if (!appended) co_return appended.error();
    co_return co_await (*writer)->finish();
}

} // namespace

asio::awaitable<result<received_file>> receive_file(net::request_body& body, storage& store,
                                                    asio::thread_pool& work, receive_options opts) {
    auto writer = co_await store.begin(opts.max_bytes);
    if (!writer) co_return writer.error();
    std::string head;  // the first bytes, for sniffing
    std::string image; // the whole file, while it may still become a preview
    bool may_preview = opts.preview_max_bytes > 0;
    for (;;) {
        boost::system::error_code ec;
        std::string_view piece = co_await body.read_some(ec);
        if (ec) { // the client went away, stalled or sent a broken body: its cause is the session's to log
            co_await (*writer)->abort();
            co_return make_error_code(boost::system::errc::connection_aborted);
        }
        if (piece.empty()) break;
        if (head.size() < sniff_bytes) head.append(piece.substr(0, sniff_bytes - head.size()));
        if (may_preview) {
            if (static_cast<std::int64_t>(image.size() + piece.size()) > opts.preview_max_bytes) {
                may_preview = false;
                std::string().swap(image);
            } else {
                image.append(piece);
            }
        }
        // Refuses past max_bytes, and then has already removed what it wrote.
        auto appended = co_await (*writer)->append(piece);
        if (!appended) co_return appended.error();
    }
    auto finished = co_await (*writer)->finish();
    if (!finished) co_return finished.error();

    received_file out;
    out.blob = std::move(*finished);
    out.content_type = co_await run_on(work, [h = std::move(head)] { return sniff_content_type(h); });
    if (!may_preview || image.empty() || !is_raster_image(out.content_type)) co_return out;

    auto limits = opts.thumbnails;
    auto made =
        co_await run_on(work, [img = std::move(image), limits] { return make_thumbnail(img, limits); });
    const auto* thumb = std::get_if<thumbnail>(&made);
    if (!thumb) co_return out; // not an image we can read, or too many pixels: shown as a file
    auto stored = co_await store_bytes(store, thumb->bytes);
    if (!stored) {
        co_await store.remove(out.blob.id);
        co_return stored.error();
    }
    out.inline_image = true;
    out.thumbnail = std::move(*stored);
    out.thumbnail_type = thumb->mime;
    out.width = thumb->width;
    out.height = thumb->height;
    co_return out;
}

} // namespace eelchat::uploads
