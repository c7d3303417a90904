// Fuzz target: net/gzip.hpp, inflating the compressed bodies feed servers send, within a size limit.
//
// Input: byte 0 picks the output limit, byte 1 the mode, the rest is data. In the first mode the data is
// a body as a server sent it (with or without the raw deflate fallback): whatever it is, the output must
// stay within the limit and be empty unless ok. In the other modes the data is compressed here first (as
// gzip, possibly split into two members; as zlib; as raw deflate) and must inflate back to itself, or
// be too_large exactly when it is longer than the limit.
#include "check.hpp"

#include "net/gzip.hpp"

#include <zlib.h>

#include <array>
#include <string>

namespace {

using eelchat::net::inflate_body;
using eelchat::net::inflate_status;

// `data` compressed with zlib's deflate; window_bits as deflateInit2 takes them (31 gzip, 15 zlib, -15 raw).
std::string compress(std::string_view data, int level, int window_bits) {
    z_stream zs{};
    FUZZ_CHECK(deflateInit2(&zs, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    FUZZ_CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

void check_round_trip(std::string_view data, std::string_view compressed, std::size_t limit, bool raw) {
    std::string out;
    const auto status = inflate_body(compressed, limit, out, raw);
    if (data.size() <= limit) {
        FUZZ_CHECK(status == inflate_status::ok);
        FUZZ_CHECK(out == data);
    } else {
        FUZZ_CHECK(status == inflate_status::too_large);
        FUZZ_CHECK(out.empty());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    static constexpr std::array<std::size_t, 8> limits{0, 1, 100, 4096, 16384, 16385, 65536, 2 << 20};
    const std::size_t limit = limits[data[0] & 7];
    const int mode = data[1] & 7;
    const int level = (data[1] >> 3) % 10;
    const std::string_view body = fuzz::as_text(data + 2, size - 2);

    switch (mode) {
    case 0:
    case 1: {
        std::string out = "left over";
        const auto status = inflate_body(body, limit, out, mode == 1);
        FUZZ_CHECK(out.size() <= limit);
        if (status != inflate_status::ok) FUZZ_CHECK(out.empty());
        break;
    }
    case 2:
        check_round_trip(body, compress(body, level, 31), limit, false);
        break;
    case 3: {
        // Two gzip members one after the other are one body (concatenated .gz files).
        const std::size_t split = body.size() * (data[0] >> 3) / 31;
        const std::string members =
            compress(body.substr(0, split), level, 31) + compress(body.substr(split), level, 31);
        check_round_trip(body, members, limit, false);
        break;
    }
    case 4:
        check_round_trip(body, compress(body, level, 15), limit, false);
        break;
    default:
        check_round_trip(body, compress(body, level, -15), limit, true);
        break;
    }
    return 0;
}
