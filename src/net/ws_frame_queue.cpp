#include "net/ws_frame_queue.hpp"

#include <utility>

namespace eelchat::net {

namespace {
constexpr std::size_t first_capacity = 8;
// A drained ring is given back: most connections are idle most of the time, and allocating the ring
// again costs less than the write that drained it.
} // namespace

void ws_frame_queue::grow() {
    const std::size_t capacity = capacity_ == 0 ? first_capacity : capacity_ * 2;
    auto slots = std::make_unique<ws_frame[]>(capacity);
    for (std::size_t i = 0; i < size_; ++i)
        slots[i] = std::move(slots_[(head_ + i) & (capacity_ - 1)]);
    slots_ = std::move(slots);
    capacity_ = capacity;
    head_ = 0;
}

void ws_frame_queue::release_if_drained() {
    if (size_ != 0) return;
    head_ = 0;
    slots_.reset();
    capacity_ = 0;
}

void ws_frame_queue::push_back(ws_frame frame) {
    if (size_ == capacity_) grow();
    slots_[(head_ + size_) & (capacity_ - 1)] = std::move(frame);
    ++size_;
}

void ws_frame_queue::truncate(std::size_t n) {
    while (size_ > n) {
        slots_[(head_ + size_ - 1) & (capacity_ - 1)].reset();
        --size_;
    }
    release_if_drained();
}

std::size_t ws_frame_queue::gather(std::size_t offset, std::span<boost::asio::const_buffer> out,
                                   std::size_t max_bytes, std::size_t& bytes) const {
    std::size_t n = 0;
    bytes = 0;
    while (n < size_ && n < out.size() && bytes < max_bytes) {
        const std::string& f = *(*this)[n];
        const std::size_t skip = n == 0 ? offset : 0;
        out[n] = boost::asio::const_buffer(f.data() + skip, f.size() - skip);
        bytes += f.size() - skip;
        ++n;
    }
    return n;
}

std::size_t ws_frame_queue::consume(std::size_t offset, std::size_t n) {
    while (size_ > 0) {
        const std::size_t left = (*this)[0]->size() - offset;
        if (n < left) return offset + n;
        n -= left;
        offset = 0;
        slots_[head_].reset();
        head_ = (head_ + 1) & (capacity_ - 1);
        --size_;
    }
    release_if_drained();
    return 0;
}

} // namespace eelchat::net
