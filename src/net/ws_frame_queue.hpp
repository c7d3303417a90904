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

    std::unique_ptr<ws_frame[]> slots_;
    std::size_t capacity_ = 0; // zero or a power of two
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

} // namespace eelchat::net
