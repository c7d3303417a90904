// The storage backend for large installations (UPLOADS_DIR): one file per blob in one directory, named
// by the blob's UUID only, never by anything a user sent.
//
// A write goes to ".UUID.part" in the same directory and is fsync'd, renamed to "UUID" and the
// directory fsync'd on finish(), so a crash leaves either a complete file or a part file for
// housekeeping. The blocking file I/O runs on `file_threads` (a small asio::thread_pool), never on the
// caller's I/O thread; every operation resumes on the caller's executor.
#pragma once

#include "uploads/storage.hpp"

#include <cstddef>
#include <filesystem>

namespace eelchat::uploads {

// The most one read() returns (and so allocates), whatever it is asked for: the same bound on memory as
// the PostgreSQL backend's chunks.
inline constexpr std::size_t directory_read_chunk = 256 * 1024;

class directory_storage final : public storage {
public:
    // The directory must exist (and be writable) by the first begin().
    directory_storage(std::filesystem::path dir, std::shared_ptr<boost::asio::thread_pool> file_threads);

    boost::asio::awaitable<result<std::unique_ptr<blob_writer>>> begin(std::int64_t max_bytes) override;
    boost::asio::awaitable<result<std::unique_ptr<blob_reader>>> open(std::string id) override;
    boost::asio::awaitable<result<bool>> remove(std::string id) override;
    // Removes part files last modified more than `older_than` ago.
    boost::asio::awaitable<result<std::int64_t>> remove_incomplete(std::chrono::seconds older_than) override;

private:
    std::filesystem::path dir_;
    std::shared_ptr<boost::asio::thread_pool> threads_;
};

} // namespace eelchat::uploads
