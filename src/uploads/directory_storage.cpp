#include "uploads/directory_storage.hpp"

#include "core/crypto.hpp"
#include "core/sha256.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/errc.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <optional>

namespace eelchat::uploads {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using boost::system::errc::make_error_code;
namespace errc = boost::system::errc;

namespace {

boost::system::error_code last_error() {
    return boost::system::error_code(errno, boost::system::system_category());
}

// Runs `f` (blocking file work returning a result<...>) on `threads` and completes on the awaiting
// coroutine's executor. Posted by hand rather than co_spawned onto the pool, so that the pool runs a
// plain function (no coroutine frame of ours lives there) and the hand-back is explicit. An exception
// `f` throws travels back to the awaiting coroutine. The work guard keeps the caller's io_context
// running (like any pending operation) until the answer is back.
template <class F> auto on_threads(asio::thread_pool& threads, F f) -> asio::awaitable<decltype(f())> {
    using R = decltype(f());
    auto initiate = [&threads](auto handler, F work) {
        auto caller = asio::make_work_guard(asio::get_associated_executor(handler));
        auto job = [handler = std::move(handler), work = std::move(work),
                    caller = std::move(caller)]() mutable {
            std::exception_ptr thrown;
            std::optional<R> out;
            try {
                out.emplace(work());
            } catch (...) {
                thrown = std::current_exception();
            }
            // The guard travels with the answer and goes on the caller's thread: released here, on the
            // pool, it could let the caller's io_context run out of work (and return from run()) before
            // the answer is queued, or linger after the caller has already resumed.
            auto back = caller.get_executor();
            asio::post(
                back, [handler = std::move(handler), thrown, out = std::move(out),
                       caller = std::move(caller)]() mutable { std::move(handler)(thrown, std::move(out)); });
        };
        asio::post(threads, std::move(job));
    };
    auto answer = co_await asio::async_initiate<const asio::use_awaitable_t<>&,
                                                void(std::exception_ptr, std::optional<R>)>(
        std::move(initiate), asio::use_awaitable, std::move(f));
    co_return std::move(*answer);
}

fs::path part_path(const fs::path& dir, const std::string& id) {
    return dir / ("." + id + ".part");
}

// Whether `name` is a part file's: "." + UUID + ".part".
bool is_part_name(const std::string& name) {
    constexpr std::string_view suffix = ".part";
    if (name.size() != 1 + 36 + suffix.size() || name[0] != '.' || !name.ends_with(suffix)) return false;
    return crypto::is_uuid(std::string_view(name).substr(1, 36));
}

result<void> write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const auto n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return last_error();
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return result<void>();
}

// Closes and deletes a part file (an aborted, refused or abandoned write).
void discard(int fd, const fs::path& part) {
    if (fd >= 0) ::close(fd);
    ::unlink(part.c_str());
}

class directory_writer final : public blob_writer {
public:
    directory_writer(fs::path dir, std::string id, int fd, std::int64_t max_bytes,
                     std::shared_ptr<asio::thread_pool> threads)
        : dir_(std::move(dir)), id_(std::move(id)), part_(part_path(dir_, id_)), fd_(fd),
          max_bytes_(max_bytes), threads_(std::move(threads)) {}

    ~directory_writer() override {
        // Abandoned (never finished nor aborted): the part file goes, on the file threads, since a
        // destructor cannot wait and unlink may block. If the pool is stopped first (shutdown), the part
        // file stays for remove_incomplete().
        if (fd_ >= 0) asio::post(*threads_, [fd = fd_, part = part_] { discard(fd, part); });
    }

    asio::awaitable<result<void>> append(std::string_view bytes) override {
        if (fd_ < 0 || done_ || busy_) co_return make_error_code(errc::operation_not_permitted);
        if (static_cast<std::int64_t>(bytes.size()) > max_bytes_ - size_) {
            co_await drop();
            co_return make_error_code(errc::file_too_large);
        }
        auto work = [this, bytes] {
            auto r = write_all(fd_, bytes);
            if (r) hash_.update(bytes);
            return r;
        };
        busy_ = true;
        auto written = co_await on_threads(*threads_, std::move(work));
        busy_ = false;
        if (!written) {
            co_await drop();
            co_return written.error();
        }
        size_ += static_cast<std::int64_t>(bytes.size());
        co_return result<void>();
    }

    asio::awaitable<result<blob_info>> finish() override {
        if (fd_ < 0 || done_ || busy_) co_return make_error_code(errc::operation_not_permitted);
        auto work = [this]() -> result<void> {
            // The bytes reach the disk before the name does, so a crash never leaves a complete-looking
            // file with a hole in it.
            if (::fsync(fd_) != 0) return last_error();
            const int fd = fd_;
            fd_ = -1;
            if (::close(fd) != 0) return last_error();
            const auto final_path = dir_ / id_;
            if (::rename(part_.c_str(), final_path.c_str()) != 0) return last_error();
            // The rename itself must survive a crash; if it cannot be made durable, the blob is not
            // reported as stored, so it must not stay behind either.
            const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            const int synced = dfd < 0 ? -1 : ::fsync(dfd);
            const auto ec = synced != 0 ? last_error() : boost::system::error_code();
            if (dfd >= 0) ::close(dfd);
            if (ec) {
                ::unlink(final_path.c_str());
                return ec;
            }
            return result<void>();
        };
        busy_ = true;
        auto stored = co_await on_threads(*threads_, std::move(work));
        busy_ = false;
        if (!stored) {
            co_await drop();
            co_return stored.error();
        }
        done_ = true;
        co_return blob_info{id_, size_, hash_.finish_hex()};
    }

    asio::awaitable<result<void>> abort() override {
        // Busy: another coroutine's append or finish is using the file on the file threads right now.
        if (done_ || busy_) co_return make_error_code(errc::operation_not_permitted);
        co_await drop();
        co_return result<void>();
    }

    std::int64_t size() const noexcept override { return size_; }

private:
    // Closes and deletes the part file (whatever state the write was in); the writer is done.
    asio::awaitable<void> drop() {
        const int fd = fd_;
        fd_ = -1;
        auto work = [fd, part = part_]() -> result<void> {
            discard(fd, part);
            return result<void>();
        };
        auto gone = co_await on_threads(*threads_, std::move(work));
        (void)gone;
    }

    fs::path dir_;
    std::string id_;
    fs::path part_;
    int fd_;
    std::int64_t max_bytes_;
    std::int64_t size_ = 0;
    bool done_ = false;
    // An append or finish is running on the file threads: the writer is one coroutine's at a time.
    bool busy_ = false;
    crypto::sha256_stream hash_;
    std::shared_ptr<asio::thread_pool> threads_;
};

class directory_reader final : public blob_reader {
public:
    directory_reader(int fd, std::int64_t size, std::shared_ptr<asio::thread_pool> threads)
        : fd_(fd), size_(size), threads_(std::move(threads)) {}
    // Closing a file opened for reading does not wait for the disk, but it is file I/O all the same:
    // the file threads do it. A stopped pool (shutdown) closes nothing, and the process exits anyway.
    ~directory_reader() override {
        asio::post(*threads_, [fd = fd_] { ::close(fd); });
    }

    std::int64_t size() const noexcept override { return size_; }

    asio::awaitable<result<std::string>> read(std::int64_t offset, std::size_t max_bytes) override {
        if (offset < 0) co_return make_error_code(errc::invalid_argument);
        if (offset >= size_ || max_bytes == 0) co_return std::string();
        // Clamped while unsigned: a max_bytes of SIZE_MAX must not turn negative on its way to int64.
        const auto want =
            std::min({max_bytes, static_cast<std::size_t>(size_ - offset), directory_read_chunk});
        auto work = [fd = fd_, offset, want]() -> result<std::string> {
            std::string out(want, '\0');
            std::size_t got = 0;
            while (got < want) {
                const auto n = ::pread(fd, out.data() + got, want - got, static_cast<off_t>(offset) + got);
                if (n < 0) {
                    if (errno == EINTR) continue;
                    return last_error();
                }
                if (n == 0) break; // the file is shorter than when it was opened
                got += static_cast<std::size_t>(n);
            }
            out.resize(got);
            return out;
        };
        co_return co_await on_threads(*threads_, std::move(work));
    }

private:
    int fd_;
    std::int64_t size_;
    std::shared_ptr<asio::thread_pool> threads_;
};

} // namespace

directory_storage::directory_storage(fs::path dir, std::shared_ptr<asio::thread_pool> file_threads)
    : dir_(std::move(dir)), threads_(std::move(file_threads)) {}

asio::awaitable<result<std::unique_ptr<blob_writer>>> directory_storage::begin(std::int64_t max_bytes) {
    auto id = crypto::new_uuid();
    auto work = [part = part_path(dir_, id)]() -> result<int> {
        const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) return last_error();
        return fd;
    };
    auto fd = co_await on_threads(*threads_, std::move(work));
    if (!fd) co_return fd.error();
    std::unique_ptr<blob_writer> w =
        std::make_unique<directory_writer>(dir_, std::move(id), *fd, max_bytes, threads_);
    co_return std::move(w);
}

asio::awaitable<result<std::unique_ptr<blob_reader>>> directory_storage::open(std::string id) {
    // Only a canonical UUID names a file: nothing else can reach a path.
    auto canonical = crypto::normalize_uuid(id);
    if (!canonical) co_return make_error_code(errc::no_such_file_or_directory);
    struct opened {
        int fd = -1;
        std::int64_t size = 0;
    };
    auto work = [path = dir_ / *canonical]() -> result<opened> {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) return last_error();
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
            auto ec = last_error();
            ::close(fd);
            return ec;
        }
        if (!S_ISREG(st.st_mode)) {
            ::close(fd);
            return make_error_code(errc::no_such_file_or_directory);
        }
        return opened{fd, static_cast<std::int64_t>(st.st_size)};
    };
    auto file = co_await on_threads(*threads_, std::move(work));
    if (!file) co_return file.error();
    std::unique_ptr<blob_reader> r = std::make_unique<directory_reader>(file->fd, file->size, threads_);
    co_return std::move(r);
}

asio::awaitable<result<bool>> directory_storage::remove(std::string id) {
    auto canonical = crypto::normalize_uuid(id);
    if (!canonical) co_return false;
    auto work = [path = dir_ / *canonical]() -> result<bool> {
        if (::unlink(path.c_str()) == 0) return true;
        if (errno == ENOENT) return false;
        return result<bool>(boost::system::in_place_error, last_error());
    };
    co_return co_await on_threads(*threads_, std::move(work));
}

asio::awaitable<result<std::int64_t>> directory_storage::remove_incomplete(std::chrono::seconds older_than) {
    auto work = [dir = dir_, older_than]() -> result<std::int64_t> {
        const auto cutoff = fs::file_time_type::clock::now() - older_than;
        std::error_code ec;
        std::int64_t removed = 0;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            const auto name = it->path().filename().string();
            if (!is_part_name(name)) continue;
            std::error_code e;
            const auto modified = fs::last_write_time(it->path(), e);
            if (e || modified >= cutoff) continue;
            if (fs::remove(it->path(), e)) ++removed;
        }
        if (ec) return boost::system::error_code(ec.value(), boost::system::system_category());
        return removed;
    };
    co_return co_await on_threads(*threads_, std::move(work));
}

} // namespace eelchat::uploads
