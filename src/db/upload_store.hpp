// Uploaded files' bytes in PostgreSQL (migration 0011): blobs of numbered chunks. The storage policy
// (chunking, limits, hashing) is uploads/postgres_storage's; these are its statements.
//
// Bytes travel hex-encoded, as the pool passes text parameters only: decode($n, 'hex') going in and
// encode(..., 'hex') coming out, whatever the server's bytea_output.
#pragma once

#include "db/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eelchat::db {

class pool;

// An incomplete blob `id` (a new UUID) whose chunks are `chunk_size` bytes but for the last.
boost::asio::awaitable<result<void>> create_upload_blob(pool& db, std::string id, int chunk_size);
// Stores chunk `n` of blob `id`.
boost::asio::awaitable<result<void>> put_upload_chunk(pool& db, std::string id, int n,
                                                      std::string_view bytes);
// Marks the incomplete blob `id` complete with its size and digest; false when there is no such
// incomplete blob (removed meanwhile).
boost::asio::awaitable<result<bool>> complete_upload_blob(pool& db, std::string id, std::int64_t size,
                                                          std::string sha256);
// Deletes blob `id`, complete or not, with its chunks; true when there was one.
boost::asio::awaitable<result<bool>> delete_upload_blob(pool& db, std::string id);

struct upload_blob_row {
    std::int64_t size = 0;
    std::string sha256;
    int chunk_size = 0;
};
// The complete blob `id` (a canonical UUID), nullopt when there is none.
boost::asio::awaitable<result<std::optional<upload_blob_row>>> find_upload_blob(pool& db, std::string id);
// Up to `length` bytes of chunk `n` of blob `id` from `offset` within the chunk; nullopt when the
// chunk does not exist.
boost::asio::awaitable<result<std::optional<std::string>>> read_upload_chunk(pool& db, std::string id, int n,
                                                                             int offset, int length);
// Deletes the incomplete blobs created more than `older_than` ago; how many there were.
boost::asio::awaitable<result<std::int64_t>> delete_incomplete_upload_blobs(pool& db,
                                                                            std::chrono::seconds older_than);

} // namespace eelchat::db
