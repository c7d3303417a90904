#include "uploads/storage.hpp"

#include "uploads/directory_storage.hpp"
#include "uploads/postgres_storage.hpp"

namespace eelchat::uploads {

std::shared_ptr<boost::asio::thread_pool> make_file_threads(std::size_t threads) {
    return std::make_shared<boost::asio::thread_pool>(threads == 0 ? 1 : threads);
}

std::unique_ptr<storage> make_storage(const std::string& uploads_dir, db::pool& db,
                                      std::shared_ptr<boost::asio::thread_pool> file_threads) {
    if (uploads_dir.empty()) return std::make_unique<postgres_storage>(db);
    return std::make_unique<directory_storage>(uploads_dir, std::move(file_threads));
}

} // namespace eelchat::uploads
