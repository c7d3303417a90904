// Correctness accounting for one subscriber of one channel. eelchat numbers a channel's messages 1, 2,
// 3, ... without gaps, and a subscriber that connected with ?after=N must then see N+1, N+2, ... each once
// and in order. The tracker keeps only the newest number seen and the ranges skipped so far (empty when
// all is well), so it costs a comparison per frame however long the run.
//
//   duplicate:    a number that was already delivered
//   out of order: a number that arrives after a higher one (it fills a hole)
//   lost:         numbers up to the channel's final last_seq that never arrived (holes left at the end)
#pragma once

#include <cstdint>
#include <vector>

namespace eelbench {

struct delivery_counts {
    std::uint64_t delivered = 0; // frames carrying a message, duplicates included
    std::uint64_t duplicated = 0;
    std::uint64_t out_of_order = 0;
    std::uint64_t lost = 0;
    std::uint64_t foreign =
        0; // frames that were not a bench message of this channel (wrong channel, no marker)

    void add(const delivery_counts& o);
    bool clean() const { return duplicated == 0 && out_of_order == 0 && lost == 0 && foreign == 0; }
};

class delivery_tracker {
public:
    // `after`: the cursor the subscriber connected with (deliveries start at after + 1).
    explicit delivery_tracker(std::int64_t after = 0) : last_(after) {}

    enum class verdict { in_order, duplicate, out_of_order };
    verdict on_message(std::int64_t seq);
    void on_foreign() { ++counts_.foreign; }

    // The counts once the channel's messages up to `final_seq` should all have arrived.
    delivery_counts finish(std::int64_t final_seq) const;

    std::int64_t last() const { return last_; }
    std::uint64_t delivered() const { return counts_.delivered; }

private:
    struct hole {
        std::int64_t first;
        std::int64_t last;
    };
    std::int64_t last_;
    std::vector<hole> holes_;
    delivery_counts counts_;
};

} // namespace eelbench
