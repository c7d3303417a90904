#include "completion.hpp"

namespace eelbench {

completion_counter::completion_counter(std::vector<std::size_t> per_thread)
    : per_thread_(std::move(per_thread)), local_(per_thread_.size(), std::vector<std::uint32_t>(ring, 0)),
      done_(ring) {
    for (auto n : per_thread_)
        if (n > 0) ++threads_with_subscribers_;
}

bool completion_counter::delivered(unsigned t, std::uint64_t post) {
    auto& c = local_[t][post % ring];
    if (++c != per_thread_[t]) return false;
    c = 0;
    if (done_[post % ring].fetch_add(1) + 1 != threads_with_subscribers_) return false;
    done_[post % ring].store(0);
    return true;
}

} // namespace eelbench
