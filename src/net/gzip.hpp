// Inflating a Content-Encoding: gzip or deflate response body, with a bound on the output so a small
// compressed body cannot expand into gigabytes (a "zip bomb").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace eelchat::net {

enum class inflate_status { ok, corrupt, too_large };

// Decompresses gzip (including several concatenated members) or zlib data, detected from the header
// (zlib windowBits 15 + 32). When `raw_fallback` is set, data that is neither is retried as raw deflate,
// which some servers send for "Content-Encoding: deflate". On ok, `out` holds the data; too_large as soon
// as the output would exceed `max_output` bytes; corrupt for bad or truncated input.
inflate_status inflate_body(std::string_view compressed, std::size_t max_output, std::string& out,
                            bool raw_fallback = false);

} // namespace eelchat::net
