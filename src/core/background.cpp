#include "core/background.hpp"

#include <future>

namespace eelchat {

bool join_or_abandon(std::thread& thread, boost::asio::io_context& ctx, std::chrono::milliseconds grace,
                     std::shared_ptr<void> state) {
    auto finished = std::async(std::launch::async, [&thread] { thread.join(); });
    if (finished.wait_for(grace) == std::future_status::ready) return true;
    ctx.stop();
    finished.wait();
    new std::shared_ptr<void>(std::move(state)); // deliberately never freed, see above
    return false;
}

} // namespace eelchat
