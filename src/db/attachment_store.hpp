// Queries of uploads (migration 0012): what each uploaded file is, whose and where it is, and which
// message carries it. The bytes are the storage's (uploads/storage.hpp); blobs whose row went wait in
// upload_garbage until uploads/garbage removes them. Ids are canonical UUID strings, validated by the
// caller.
#pragma once

#include "db/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace eelchat::db {

class pool;

struct upload_row {
    std::string id;
    std::string channel_id;
    std::string user_id;
    std::optional<std::string> message_id; // nullopt: pending, not yet posted
    std::string name;
    std::string content_type;
    std::int64_t size = 0;
    std::string sha256;
    std::string blob_id;
    bool inline_image = false;
    std::optional<std::string> thumbnail_blob_id;
    std::string thumbnail_type;
    int width = 0, height = 0;
};

// Records a finished upload as pending (row.id, message_id ignored); completes with its new id.
boost::asio::awaitable<result<std::string>> insert_upload(pool& db, upload_row row);
// The upload `upload_id` of channel `channel_id`, or nullopt.
boost::asio::awaitable<result<std::optional<upload_row>>> find_upload(pool& db, std::string channel_id,
                                                                      std::string upload_id);
// Bytes of every file `user_id` has uploaded that still exists (pending ones included), for the quota.
boost::asio::awaitable<result<std::int64_t>> uploaded_bytes(pool& db, std::string user_id);
// How many of `upload_ids` are pending uploads of `user_id` in `channel_id` (distinct ids only).
boost::asio::awaitable<result<int>> count_pending_uploads(pool& db, std::string user_id,
                                                          std::string channel_id,
                                                          std::vector<std::string> upload_ids);
// Deletes the pending upload `upload_id` of `user_id` in `channel_id`; false when there is none.
boost::asio::awaitable<result<bool>> delete_pending_upload(pool& db, std::string user_id,
                                                           std::string channel_id, std::string upload_id);
// Housekeeping: deletes the pending uploads older than `older_than` (never posted); how many.
boost::asio::awaitable<result<std::int64_t>> delete_stale_uploads(pool& db, std::chrono::seconds older_than);

// Up to `limit` blobs of upload_garbage that no upload refers to any more, oldest first.
boost::asio::awaitable<result<std::vector<std::string>>> unreferenced_garbage(pool& db, int limit);
// Drops `blob_id` from upload_garbage (its blob was removed from the storage).
boost::asio::awaitable<result<void>> forget_garbage(pool& db, std::string blob_id);

} // namespace eelchat::db
