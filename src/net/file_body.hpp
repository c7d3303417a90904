// A file already on disk (a finished export in a temporary file) as a response body
// (net/body_stream.hpp), sent in 256 KiB pieces from its current position to its end, so that a download
// of any size holds one piece in memory. Reads are plain buffered reads of a file the server just wrote
// (the page cache holds it), short enough not to hold up the I/O thread.
#pragma once

#include "net/body_stream.hpp"

#include <cstdio>
#include <memory>

namespace eelchat::net {

class file_body final : public response_body {
public:
    using file_ptr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;
    explicit file_body(file_ptr file) : file_(std::move(file)) {}

    boost::asio::awaitable<bool> next(std::string& piece) override {
        piece.resize(piece_size);
        const std::size_t n = std::fread(piece.data(), 1, piece_size, file_.get());
        piece.resize(n);
        co_return n > 0 || !std::ferror(file_.get());
    }

    static constexpr std::size_t piece_size = 256 * 1024;

private:
    file_ptr file_;
};

} // namespace eelchat::net
