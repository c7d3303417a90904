#include "net/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>

namespace eelchat::net {

namespace {

// Owns a z_stream between inflateInit2 and inflateEnd.
class inflater {
public:
    explicit inflater(int window_bits) { ok_ = inflateInit2(&zs_, window_bits) == Z_OK; }
    ~inflater() {
        if (ok_) inflateEnd(&zs_);
    }
    inflater(const inflater&) = delete;
    inflater& operator=(const inflater&) = delete;

    inflate_status run(std::string_view in, std::size_t max_output, std::string& out) {
        if (!ok_) return inflate_status::corrupt;
        out.clear();
        // zlib takes uInt lengths; a response body is bounded far below 4 GiB by the fetcher's limit.
        zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        zs_.avail_in = static_cast<uInt>(in.size());
        std::array<char, 16 * 1024> chunk;
        for (;;) {
            zs_.next_out = reinterpret_cast<Bytef*>(chunk.data());
            zs_.avail_out = static_cast<uInt>(chunk.size());
            const int rc = inflate(&zs_, Z_NO_FLUSH);
            const std::size_t produced = chunk.size() - zs_.avail_out;
            if (out.size() + produced > max_output) return inflate_status::too_large;
            out.append(chunk.data(), produced);
            if (rc == Z_STREAM_END) {
                // Another gzip member may follow (concatenated files are valid gzip).
                if (zs_.avail_in == 0) return inflate_status::ok;
                if (inflateReset(&zs_) != Z_OK) return inflate_status::corrupt;
                continue;
            }
            if (rc == Z_BUF_ERROR && zs_.avail_in == 0) return inflate_status::corrupt; // truncated
            if (rc != Z_OK && rc != Z_BUF_ERROR) return inflate_status::corrupt;
        }
    }

private:
    z_stream zs_{};
    bool ok_ = false;
};

} // namespace

inflate_status inflate_body(std::string_view compressed, std::size_t max_output, std::string& out,
                            bool raw_fallback) {
    inflate_status status;
    {
        inflater z(15 + 32);
        status = z.run(compressed, max_output, out);
    }
    if (status == inflate_status::corrupt && raw_fallback) {
        inflater raw(-15);
        status = raw.run(compressed, max_output, out);
    }
    if (status != inflate_status::ok) out.clear();
    return status;
}

} // namespace eelchat::net
