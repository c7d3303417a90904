// A stored file as a response body (net/body_stream.hpp): read from the storage one piece at a time
// while the connection sends the previous one, so a download holds one piece in memory whatever the
// file's size.
#pragma once

#include "net/body_stream.hpp"
#include "uploads/storage.hpp"

#include <memory>

namespace eelchat::uploads {

class blob_body final : public net::response_body {
public:
    explicit blob_body(std::unique_ptr<blob_reader> reader) : reader_(std::move(reader)) {}

    boost::asio::awaitable<bool> next(std::string& piece) override;

    static constexpr std::size_t piece_size = 256 * 1024;

private:
    std::unique_ptr<blob_reader> reader_;
    std::int64_t offset_ = 0;
};

} // namespace eelchat::uploads
