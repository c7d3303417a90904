// Removing the bytes of files nobody can reach any more. Deleting an upload row (with its message,
// channel or account, or a pending upload given up) queues its blobs in upload_garbage (migration 0012);
// this takes them out of the storage once no upload refers to them. The storage may be a directory, which
// no database cascade reaches; hence the queue.
#pragma once

#include "uploads/storage.hpp"

#include <boost/asio/awaitable.hpp>

namespace eelchat::db {
class pool;
}

namespace eelchat::uploads {

// Removes up to `limit` queued blobs from `store`, then from the queue. Completes with how many were
// removed. Safe on several instances at once: removing a blob twice is harmless.
boost::asio::awaitable<result<int>> collect_garbage(db::pool& db, storage& store, int limit = 200);

} // namespace eelchat::uploads
