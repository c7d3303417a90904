#include "uploads/postgres_storage.hpp"

#include "core/crypto.hpp"
#include "core/sha256.hpp"
#include "db/pool.hpp"
#include "db/upload_store.hpp"

#include <boost/system/errc.hpp>

#include <algorithm>

namespace eelchat::uploads {

namespace asio = boost::asio;
using boost::system::errc::make_error_code;
namespace errc = boost::system::errc;

namespace {

class postgres_writer final : public blob_writer {
public:
    postgres_writer(db::pool& db, std::string id, int chunk_size, std::int64_t max_bytes)
        : db_(db), id_(std::move(id)), chunk_size_(chunk_size), max_bytes_(max_bytes) {
        buffer_.reserve(static_cast<std::size_t>(chunk_size_));
    }

    // A writer dropped before finish() or abort() cannot delete its row here (a destructor cannot wait
    // for the database, and a detached deletion could outlive the pool): the row stays incomplete, so
    // nobody can read it, and remove_incomplete() takes it once it is old enough.
    ~postgres_writer() override = default;

    asio::awaitable<result<void>> append(std::string_view bytes) override {
        if (state_ != state::open) co_return make_error_code(errc::operation_not_permitted);
        if (static_cast<std::int64_t>(bytes.size()) > max_bytes_ - size_) {
            co_await drop();
            co_return make_error_code(errc::file_too_large);
        }
        state_ = state::busy;
        while (!bytes.empty()) {
            const auto room = static_cast<std::size_t>(chunk_size_) - buffer_.size();
            const auto take = std::min(room, bytes.size());
            buffer_.append(bytes.substr(0, take));
            hash_.update(bytes.substr(0, take));
            size_ += static_cast<std::int64_t>(take);
            bytes.remove_prefix(take);
            if (buffer_.size() == static_cast<std::size_t>(chunk_size_)) {
                auto stored = co_await flush();
                if (!stored) {
                    co_await drop();
                    co_return stored.error();
                }
            }
        }
        state_ = state::open;
        co_return result<void>();
    }

    asio::awaitable<result<blob_info>> finish() override {
        if (state_ != state::open) co_return make_error_code(errc::operation_not_permitted);
        state_ = state::busy;
        if (!buffer_.empty()) {
            auto stored = co_await flush();
            if (!stored) {
                co_await drop();
                co_return stored.error();
            }
        }
        auto digest = hash_.finish_hex();
        auto done = co_await db::complete_upload_blob(db_, id_, size_, digest);
        if (!done || !*done) {
            co_await drop();
            if (!done) co_return done.error();
            co_return make_error_code(errc::no_such_file_or_directory);
        }
        state_ = state::finished;
        co_return blob_info{id_, size_, std::move(digest)};
    }

    asio::awaitable<result<void>> abort() override {
        if (state_ == state::finished || state_ == state::busy)
            co_return make_error_code(errc::operation_not_permitted);
        if (state_ == state::dropped) co_return result<void>();
        auto removed = co_await db::delete_upload_blob(db_, id_);
        state_ = state::dropped;
        if (!removed) co_return removed.error();
        co_return result<void>();
    }

    std::int64_t size() const noexcept override { return size_; }

private:
    enum class state { open, busy, finished, dropped };

    asio::awaitable<result<void>> flush() {
        auto r = co_await db::put_upload_chunk(db_, id_, next_chunk_, buffer_);
        if (!r) co_return r.error();
        ++next_chunk_;
        buffer_.clear();
        co_return result<void>();
    }

    // After a refusal or a failure: nothing of the blob stays (or, if the database cannot be reached,
    // an incomplete blob for housekeeping).
    asio::awaitable<void> drop() {
        buffer_.clear();
        buffer_.shrink_to_fit();
        (void)co_await db::delete_upload_blob(db_, id_);
        state_ = state::dropped;
    }

    db::pool& db_;
    std::string id_;
    int chunk_size_;
    std::int64_t max_bytes_;
    std::int64_t size_ = 0;
    int next_chunk_ = 0;
    std::string buffer_;
    crypto::sha256_stream hash_;
    state state_ = state::open;
};

class postgres_reader final : public blob_reader {
public:
    postgres_reader(db::pool& db, std::string id, db::upload_blob_row row)
        : db_(db), id_(std::move(id)), row_(std::move(row)) {}

    std::int64_t size() const noexcept override { return row_.size; }

    asio::awaitable<result<std::string>> read(std::int64_t offset, std::size_t max_bytes) override {
        if (offset < 0) co_return make_error_code(errc::invalid_argument);
        if (offset >= row_.size || max_bytes == 0) co_return std::string();
        const auto n = static_cast<int>(offset / row_.chunk_size);
        const auto within = static_cast<int>(offset % row_.chunk_size);
        // max_bytes may be anything a caller passes (SIZE_MAX): clamp it before it meets signed arithmetic.
        const auto asked =
            static_cast<std::int64_t>(std::min(max_bytes, static_cast<std::size_t>(row_.chunk_size)));
        const auto length =
            static_cast<int>(std::min<std::int64_t>({asked, row_.chunk_size - within, row_.size - offset}));
        auto bytes = co_await db::read_upload_chunk(db_, id_, n, within, length);
        if (!bytes) co_return bytes.error();
        // The blob was removed while open.
        if (!*bytes || (*bytes)->empty()) co_return make_error_code(errc::no_such_file_or_directory);
        co_return std::move(**bytes);
    }

private:
    db::pool& db_;
    std::string id_;
    db::upload_blob_row row_;
};

} // namespace

postgres_storage::postgres_storage(db::pool& db, int chunk_size) : db_(db), chunk_size_(chunk_size) {}

asio::awaitable<result<std::unique_ptr<blob_writer>>> postgres_storage::begin(std::int64_t max_bytes) {
    auto id = crypto::new_uuid();
    auto made = co_await db::create_upload_blob(db_, id, chunk_size_);
    if (!made) co_return made.error();
    std::unique_ptr<blob_writer> w =
        std::make_unique<postgres_writer>(db_, std::move(id), chunk_size_, max_bytes);
    co_return std::move(w);
}

asio::awaitable<result<std::unique_ptr<blob_reader>>> postgres_storage::open(std::string id) {
    auto canonical = crypto::normalize_uuid(id);
    if (!canonical) co_return make_error_code(errc::no_such_file_or_directory);
    auto row = co_await db::find_upload_blob(db_, *canonical);
    if (!row) co_return row.error();
    if (!*row) co_return make_error_code(errc::no_such_file_or_directory);
    std::unique_ptr<blob_reader> r =
        std::make_unique<postgres_reader>(db_, std::move(*canonical), std::move(**row));
    co_return std::move(r);
}

asio::awaitable<result<bool>> postgres_storage::remove(std::string id) {
    auto canonical = crypto::normalize_uuid(id);
    if (!canonical) co_return false;
    co_return co_await db::delete_upload_blob(db_, std::move(*canonical));
}

asio::awaitable<result<std::int64_t>> postgres_storage::remove_incomplete(std::chrono::seconds older_than) {
    co_return co_await db::delete_incomplete_upload_blobs(db_, older_than);
}

} // namespace eelchat::uploads
