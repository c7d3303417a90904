// Inflating response bodies: gzip, zlib and raw deflate, within an output limit.
#include "net/gzip.hpp"

#include <catch2/catch.hpp>

#include <zlib.h>

#include <string>

using namespace eelchat;

namespace {

// windowBits: 15 + 16 for gzip, 15 for zlib, -15 for raw deflate.
std::string compress(std::string_view data, int window_bits) {
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

std::string text_of_size(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; s.size() < n; ++i)
        s += "<item>" + std::to_string(i) + "</item>\n";
    s.resize(n);
    return s;
}

} // namespace

TEST_CASE("gzip and zlib bodies inflate, and raw deflate only with the fallback", "[unit][gzip]") {
    const std::string data = text_of_size(100000);
    std::string out;
    CHECK(net::inflate_body(compress(data, 15 + 16), 1 << 20, out) == net::inflate_status::ok);
    CHECK(out == data);
    CHECK(net::inflate_body(compress(data, 15), 1 << 20, out) == net::inflate_status::ok);
    CHECK(out == data);
    const std::string raw = compress(data, -15);
    CHECK(net::inflate_body(raw, 1 << 20, out) == net::inflate_status::corrupt);
    CHECK(out.empty());
    CHECK(net::inflate_body(raw, 1 << 20, out, true) == net::inflate_status::ok);
    CHECK(out == data);
}

TEST_CASE("concatenated gzip members inflate to the concatenation", "[unit][gzip]") {
    std::string out;
    const std::string two = compress("first,", 31) + compress("second", 31);
    CHECK(net::inflate_body(two, 1024, out) == net::inflate_status::ok);
    CHECK(out == "first,second");
}

TEST_CASE("output beyond the limit is too_large, and bad or truncated input is corrupt", "[unit][gzip]") {
    const std::string data = text_of_size(50000);
    const std::string gz = compress(data, 31);
    std::string out;
    CHECK(net::inflate_body(gz, data.size(), out) == net::inflate_status::ok);
    CHECK(net::inflate_body(gz, data.size() - 1, out) == net::inflate_status::too_large);
    CHECK(out.empty());
    CHECK(net::inflate_body(gz.substr(0, gz.size() / 2), 1 << 20, out) == net::inflate_status::corrupt);
    CHECK(net::inflate_body("not compressed at all", 1 << 20, out) == net::inflate_status::corrupt);
    CHECK(net::inflate_body("", 1 << 20, out) == net::inflate_status::corrupt);
    std::string flipped = gz;
    flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x55);
    CHECK(net::inflate_body(flipped, 1 << 20, out) != net::inflate_status::ok);
}
