// Where an export reads uploaded files' bytes from and an import writes them to. The archive feature
// may not include another feature (uploads), so it states what it needs here and the app layer
// implements it over uploads::storage (app/archive_commands.cpp, and the export route). Bytes always
// move in pieces: no file is ever held whole in memory.
#pragma once

#include "db/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace eelchat::archive {

// What a finished write stored.
struct stored_file {
    std::string blob_id;
    std::int64_t size = 0;
    std::string sha256; // 64 lowercase hex characters
};

// One file being written; unreadable until finish() completes.
class file_writer {
public:
    virtual ~file_writer() = default;
    // Adds `bytes` at the end (valid until completion). An error leaves nothing stored.
    virtual boost::asio::awaitable<db::result<void>> append(std::string_view bytes) = 0;
    virtual boost::asio::awaitable<db::result<stored_file>> finish() = 0;
    // Drops what was written (after a failure of the caller's).
    virtual boost::asio::awaitable<db::result<void>> abort() = 0;
};

class file_store {
public:
    virtual ~file_store() = default;
    // Calls `piece` with the blob's bytes in order, a bounded piece at a time. An exception `piece`
    // throws (a failed write of the archive) goes through to the caller.
    virtual boost::asio::awaitable<db::result<void>> read(std::string blob_id,
                                                          std::function<void(std::string_view)> piece) = 0;
    // A new blob of at most `max_bytes` bytes.
    virtual boost::asio::awaitable<db::result<std::unique_ptr<file_writer>>>
    begin(std::int64_t max_bytes) = 0;
    // Deletes a blob this import wrote, when the import fails.
    virtual boost::asio::awaitable<db::result<void>> remove(std::string blob_id) = 0;
};

} // namespace eelchat::archive
