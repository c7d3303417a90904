// The default storage backend: blobs in PostgreSQL (db/upload_store.hpp, migration 0011), so that
// every instance sees every file and a database backup holds them too.
//
// A writer keeps at most one chunk (chunk_size bytes) in memory and stores each as soon as it is full;
// a read fetches a part of one chunk. The blob is readable only once finish() marks it complete.
#pragma once

#include "uploads/storage.hpp"

namespace eelchat::uploads {

inline constexpr int default_chunk_size = 256 * 1024;

class postgres_storage final : public storage {
public:
    // `db` must outlive the storage and its writers and readers.
    explicit postgres_storage(db::pool& db, int chunk_size = default_chunk_size);

    boost::asio::awaitable<result<std::unique_ptr<blob_writer>>> begin(std::int64_t max_bytes) override;
    boost::asio::awaitable<result<std::unique_ptr<blob_reader>>> open(std::string id) override;
    boost::asio::awaitable<result<bool>> remove(std::string id) override;
    boost::asio::awaitable<result<std::int64_t>> remove_incomplete(std::chrono::seconds older_than) override;

private:
    db::pool& db_;
    int chunk_size_;
};

} // namespace eelchat::uploads
