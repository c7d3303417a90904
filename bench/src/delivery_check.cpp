#include "delivery_check.hpp"

namespace eelbench {

void delivery_counts::add(const delivery_counts& o) {
    delivered += o.delivered;
    duplicated += o.duplicated;
    out_of_order += o.out_of_order;
    lost += o.lost;
    foreign += o.foreign;
}

delivery_tracker::verdict delivery_tracker::on_message(std::int64_t seq) {
    ++counts_.delivered;
    if (seq == last_ + 1) {
        last_ = seq;
        return verdict::in_order;
    }
    if (seq > last_) {
        holes_.push_back(hole{last_ + 1, seq - 1});
        last_ = seq;
        return verdict::in_order;
    }
    // At or below the newest: either it fills a hole (late) or it was seen before.
    for (std::size_t i = 0; i < holes_.size(); ++i) {
        hole& h = holes_[i];
        if (seq < h.first || seq > h.last) continue;
        ++counts_.out_of_order;
        if (h.first == h.last) {
            holes_.erase(holes_.begin() + static_cast<std::ptrdiff_t>(i));
        } else if (seq == h.first) {
            ++h.first;
        } else if (seq == h.last) {
            --h.last;
        } else {
            const hole upper{seq + 1, h.last};
            h.last = seq - 1;
            holes_.insert(holes_.begin() + static_cast<std::ptrdiff_t>(i) + 1, upper);
        }
        return verdict::out_of_order;
    }
    ++counts_.duplicated;
    return verdict::duplicate;
}

delivery_counts delivery_tracker::finish(std::int64_t final_seq) const {
    delivery_counts c = counts_;
    for (const auto& h : holes_)
        c.lost += static_cast<std::uint64_t>(h.last - h.first + 1);
    if (final_seq > last_) c.lost += static_cast<std::uint64_t>(final_seq - last_);
    return c;
}

} // namespace eelbench
