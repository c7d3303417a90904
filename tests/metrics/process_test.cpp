#include "metrics/process.hpp"

#include <catch2/catch.hpp>

using namespace eelchat::metrics;

TEST_CASE("the process figures come out of /proc/self/stat in base units", "[unit][metrics]") {
    // A command name with spaces and parentheses: the fields count from the last ')'.
    const std::string stat =
        "4242 (eel chat (x)) S 1 4242 4242 0 -1 4194560 1500 0 0 0 250 50 0 0 20 0 6 0 "
        "12345 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";
    auto s = parse_proc_stat(stat, 100, 4096);
    REQUIRE(s.has_value());
    CHECK(s->cpu_seconds == Approx(3.0)); // (250 + 50) ticks at 100 per second
    CHECK(s->start_after_boot == Approx(123.45));
    CHECK(s->virtual_bytes == 104857600);
    CHECK(s->resident_bytes == 2560ull * 4096);
    CHECK_FALSE(parse_proc_stat("garbage", 100, 4096));
    CHECK_FALSE(parse_proc_stat("1 (x) S 1 2", 100, 4096));
}

TEST_CASE("the boot time is the btime line of /proc/stat", "[unit][metrics]") {
    CHECK(parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1764680000\nprocesses 9\n") == 1764680000.0);
    CHECK_FALSE(parse_boot_time("cpu 1 2 3\n").has_value());
}

TEST_CASE("the collector writes the standard process metrics of this process", "[unit][metrics]") {
    registry r;
    add_process_collector(r);
    const auto text = r.scrape();
    for (const char* name :
         {"process_open_fds", "process_max_fds", "process_resident_memory_bytes",
          "process_virtual_memory_bytes", "process_cpu_seconds_total", "process_start_time_seconds"})
        CHECK(text.find(std::string("# TYPE ") + name + " ") != std::string::npos);
    CHECK(text.find("# TYPE process_cpu_seconds_total counter\n") != std::string::npos);
}
