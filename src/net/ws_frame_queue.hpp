// The frames a websocket session has yet to write, oldest first: a ring of shared pointers. It holds no
// storage while empty (an idle connection costs nothing here): the ring is allocated for the first frame
// and given back when the writer drains it.
//
// The writer sends from the front with one gather write: gather() lists the pending bytes (the first
// frame possibly part-written already), consume() drops what the kernel took.
#pragma once

#include "net/ws_frame.hpp"

#include <boost/asio/buffer.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <utility>

namespace eelchat::net {

class ws_frame_queue {
public:
    ws_frame_queue() = default;
    ws_frame_queue(const ws_frame_queue&) = delete;
    ws_frame_queue& operator=(const ws_frame_queue&) = delete;

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    const ws_frame& operator[](std::size_t i) const noexcept { return slots_[(head_ + i) & (capacity_ - 1)]; }

    void push_back(ws_frame frame);
    // Keeps the oldest `n` frames and drops the rest.
    void truncate(std::size_t n);
    void clear() { truncate(0); }

    // Fills `out` with the pending bytes from the front, the first frame starting at `offset`: as many
    // frames as fit in out.size() buffers, stopping after the frame that reaches `max_bytes`. Returns how
    // many buffers it filled, and their total length in `bytes`.
    std::size_t gather(std::size_t offset, std::span<boost::asio::const_buffer> out, std::size_t max_bytes,
                       std::size_t& bytes) const;

    // `n` bytes of a gather write that started `offset` bytes into the front frame went out: drops the
    // frames written completely and returns the offset into the new front frame.
    std::size_t consume(std::size_t offset, std::size_t n);

private:
    void grow();
    void release_if_drained();

    static constexpr std::size_t first_capacity = 8;

    std::unique_ptr<ws_frame[]> slots_;
    std::size_t capacity_ = 0; // zero or a power of two
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

inline void ws_frame_queue::grow() {
    const std::size_t capacity = capacity_ == 0 ? first_capacity : capacity_ * 2;
    auto slots = std::make_unique<ws_frame[]>(capacity);
    for (std::size_t i = 0; i < size_; ++i)
        slots[i] = std::move(slots_[(head_ + i) & (capacity_ - 1)]);
    slots_ = std::move(slots);
    capacity_ = capacity;
    head_ = 0;
}

inline void ws_frame_queue::release_if_drained() {
    // Most connections are idle most of the time; allocating a ring again costs less than the write that
    // drained it.
    if (size_ != 0) return;
    head_ = 0;
    slots_.reset();
    capacity_ = 0;
}

inline void ws_frame_queue::push_back(ws_frame frame) {
    if (size_ == capacity_) grow();
    slots_[(head_ + size_) & (capacity_ - 1)] = std::move(frame);
    ++size_;
}

inline void ws_frame_queue::truncate(std::size_t n) {
    while (size_ > n) {
        slots_[(head_ + size_ - 1) & (capacity_ - 1)].reset();
        --size_;
    }
    release_if_drained();
}

inline std::size_t ws_frame_queue::gather(std::size_t offset, std::span<boost::asio::const_buffer> out,
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

inline std::size_t ws_frame_queue::consume(std::size_t offset, std::size_t n) {
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
