// Where uploaded files' bytes live: blobs addressed by an opaque id (a UUID the storage makes, never a
// name a user sent), written and read in chunks so that memory stays bounded whatever a file's size.
//
// Two backends: PostgreSQL (the default: several instances share it and a database backup holds the
// files too, uploads/postgres_storage.hpp) and a directory (UPLOADS_DIR, for large installations,
// uploads/directory_storage.hpp). Which one is make_storage()'s choice.
//
// A storage, and its writers and readers, belong to the thread of the database pool it was made with
// (like db::pool): use them from coroutines running there. Every operation completes on the caller's
// executor. Cancelling an awaiting operation is not supported beyond what the database pool does (a
// cancelled database call fails with db::errc::cancelled). A writer destroyed before finish() or
// abort() leaves an incomplete blob that nobody can read: the directory backend deletes its part file
// soon after (on the file threads), the PostgreSQL one leaves the row to remove_incomplete().
#pragma once

#include "db/error.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace eelchat::db {
class pool;
}

namespace eelchat::uploads {

template <class T> using result = db::result<T>;

// What a finished write stored.
struct blob_info {
    std::string id; // lowercase canonical UUID
    std::int64_t size = 0;
    std::string sha256; // 64 lowercase hex characters
};

// Errors besides the backends' own (db::errc, system errors of the file system):
// - boost::system::errc::file_too_large: an append would take the blob beyond the writer's max_bytes;
//   the writer has then removed what it wrote.
// - boost::system::errc::no_such_file_or_directory: no complete blob has that id (a malformed id too).
// - boost::system::errc::operation_not_permitted: the writer was already finished, aborted or refused,
//   or another of its operations is still in progress (a writer is one coroutine's at a time).

// One blob being written. Not readable by anyone until finish() completes.
class blob_writer {
public:
    virtual ~blob_writer() = default;

    // Adds `bytes` (any length, empty included) at the end. `bytes` must stay valid until completion.
    // Completes with an error and nothing kept when the blob would exceed max_bytes (file_too_large) or
    // the backend fails; the writer is then done and aborted.
    virtual boost::asio::awaitable<result<void>> append(std::string_view bytes) = 0;
    // Makes the blob complete and readable by its id.
    virtual boost::asio::awaitable<result<blob_info>> finish() = 0;
    // Removes what was written. Harmless after a refusal or a failure; operation_not_permitted after
    // finish().
    virtual boost::asio::awaitable<result<void>> abort() = 0;

    // Bytes appended so far.
    virtual std::int64_t size() const noexcept = 0;
};

// One complete blob opened for reading. Its SHA-256 is finish()'s to tell: whoever refers to the blob
// keeps it (an attachment row).
class blob_reader {
public:
    virtual ~blob_reader() = default;

    virtual std::int64_t size() const noexcept = 0;
    // Up to `max_bytes` bytes from `offset`: at least one unless `offset` is at or past the end (then
    // none), fewer than asked when a chunk of the backend ends first. Loop to read a range.
    virtual boost::asio::awaitable<result<std::string>> read(std::int64_t offset, std::size_t max_bytes) = 0;
};

class storage {
public:
    virtual ~storage() = default;

    // A new blob of at most `max_bytes` bytes (the caller's limit, UPLOAD_MAX_MB for uploads).
    virtual boost::asio::awaitable<result<std::unique_ptr<blob_writer>>> begin(std::int64_t max_bytes) = 0;
    // The complete blob `id`; no_such_file_or_directory when there is none.
    virtual boost::asio::awaitable<result<std::unique_ptr<blob_reader>>> open(std::string id) = 0;
    // Deletes the blob `id`; true when there was one, false for a malformed id too. A reader
    // already open may fail afterwards (PostgreSQL) or keep reading the unlinked file (directory).
    virtual boost::asio::awaitable<result<bool>> remove(std::string id) = 0;
    // Housekeeping: removes incomplete blobs (abandoned writes: a crash, a lost connection) begun more
    // than `older_than` ago. Completes with how many were removed.
    virtual boost::asio::awaitable<result<std::int64_t>>
    remove_incomplete(std::chrono::seconds older_than) = 0;
};

// How long an incomplete blob may stay before remove_incomplete() takes it, by default.
inline constexpr std::chrono::seconds incomplete_blob_lifetime{24 * 60 * 60};

// The threads that run the directory backend's blocking file I/O (never an I/O thread's work): one
// for the whole process, shared by every thread's storage.
std::shared_ptr<boost::asio::thread_pool> make_file_threads(std::size_t threads = 2);

// The storage UPLOADS_DIR selects: `uploads_dir` empty, the PostgreSQL backend on `db` (this thread's
// pool); else the directory backend there, its file I/O on `file_threads`.
std::unique_ptr<storage> make_storage(const std::string& uploads_dir, db::pool& db,
                                      std::shared_ptr<boost::asio::thread_pool> file_threads);

} // namespace eelchat::uploads
