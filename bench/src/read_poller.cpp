#include "read_poller.hpp"

#include <boost/asio/post.hpp>

#include <system_error>

#include <unistd.h>

namespace eelbench {

boost::asio::execution_context::id read_poller::id;

read_poller::read_poller(boost::asio::io_context& ctx)
    : boost::asio::execution_context::service(ctx), ex_(ctx.get_executor()), set_(ctx) {
    const int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    set_.assign(fd);
}

bool read_poller::add(int fd, readable_socket* s) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = s;
    if (::epoll_ctl(set_.native_handle(), EPOLL_CTL_ADD, fd, &ev) != 0) return false;
    // Bytes that arrived before the registration gave their edge to no one: look now.
    if (!armed_) arm();
    boost::asio::post(ex_, [this] { drain(); });
    return true;
}

void read_poller::remove(int fd) {
    ::epoll_ctl(set_.native_handle(), EPOLL_CTL_DEL, fd, nullptr);
}

void read_poller::arm() {
    armed_ = true;
    set_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                    [this](const boost::system::error_code& ec) {
                        armed_ = false;
                        if (!ec) drain();
                    });
}

int read_poller::take() {
    const int n = ::epoll_wait(set_.native_handle(), events_.data(), max_events, 0);
    for (int i = 0; i < n; ++i)
        static_cast<readable_socket*>(events_[static_cast<std::size_t>(i)].data.ptr)->on_readable();
    return n < 0 ? 0 : n;
}

void read_poller::drain() {
    if (!set_.is_open()) return;
    for (int round = 0; round < max_rounds; ++round) {
        if (take() == max_events) continue; // more may be ready
        if (armed_) return;
        // Asio's own registration of the set is edge-triggered too: arm first, then look once more, so
        // a socket that became ready between the last look and the wait is not missed.
        arm();
        if (take() < max_events) return;
    }
    boost::asio::post(ex_, [this] { drain(); });
}

void read_poller::shutdown() {
    boost::system::error_code ignored;
    set_.close(ignored);
}

} // namespace eelbench
