#include "uploads/blob_body.hpp"

namespace eelchat::uploads {

boost::asio::awaitable<bool> blob_body::next(std::string& piece) {
    piece.clear();
    if (offset_ >= reader_->size()) co_return true;
    auto read = co_await reader_->read(offset_, piece_size);
    // A blob that ends before its size (removed meanwhile) cannot be finished: the download is cut.
    if (!read || read->empty()) co_return false;
    piece = std::move(*read);
    offset_ += static_cast<std::int64_t>(piece.size());
    co_return true;
}

} // namespace eelchat::uploads
