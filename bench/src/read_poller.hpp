// One epoll set per loader thread for its subscribers' sockets, watched by a single wait of the thread's
// io_context. When any socket becomes readable the thread takes up to 256 ready sockets in one
// epoll_wait and reads each, instead of completing one Asio operation and resuming one coroutine per
// socket per wake-up: with 10,000 subscribers that per-socket machinery was most of the loader's own cost.
//
// The sockets are registered edge-triggered: a socket reports again only when new bytes arrive, so a
// reader must take everything the kernel holds (a read shorter than the buffer has).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <sys/epoll.h>

#include <array>

namespace eelbench {

// What the poller calls for a readable socket (on the poller's thread).
class readable_socket {
public:
    virtual ~readable_socket() = default;
    virtual void on_readable() = 0;
};

class read_poller final : public boost::asio::execution_context::service {
public:
    static boost::asio::execution_context::id id;

    explicit read_poller(boost::asio::io_context& ctx);

    // Watches `fd` until remove() or until the socket is closed (which takes it out of the set).
    // Returns false when epoll refused it (errno says why).
    bool add(int fd, readable_socket* s);
    void remove(int fd);

private:
    static constexpr int max_events = 256;
    static constexpr int max_rounds = 16; // then other work on the thread gets a turn

    void shutdown() override;
    void arm();
    void drain();
    int take(); // one epoll_wait without waiting; calls each ready socket; returns how many

    boost::asio::io_context::executor_type ex_;
    boost::asio::posix::basic_stream_descriptor<boost::asio::io_context::executor_type> set_;
    std::array<epoll_event, max_events> events_{};
    bool armed_ = false;
};

} // namespace eelbench
