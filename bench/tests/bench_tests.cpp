// The bench's own arithmetic: if these are wrong, every figure and every PASSED is wrong.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "delivery_check.hpp"
#include "frames.hpp"
#include "histogram.hpp"
#include "measure.hpp"
#include "options.hpp"
#include "report.hpp"
#include "ws_frames.hpp"

using namespace eelbench;

TEST_CASE("a frame's sequence number and bench marker are read back from the rendered message", "[bench]") {
    bench_mark m{42, 3, 123456789};
    const std::string text = make_text(m, 100);
    CHECK(text.size() == 100);
    const std::string frame =
        "<div id=\"messages\" hx-swap-oob=\"beforeend\"><div class=\"message\" id=\"message-17\" "
        "data-seq=\"17\">\n  <div class=\"text-sm\"><span>User abcd</span></div>\n"
        "  <p class=\"whitespace-pre-wrap break-words mb-6\" hx-disable>" +
        text + "</p>\n</div></div>";
    auto f = parse_frame(frame);
    CHECK(f.seq == 17);
    REQUIRE(f.mark.has_value());
    CHECK(f.mark->post == 42);
    CHECK(f.mark->channel == 3);
    CHECK(f.mark->sent_ns == 123456789);
}

TEST_CASE("an event frame's number is its cursor, and the marker is read from the message after it",
          "[bench]") {
    const std::string text = make_text(bench_mark{7, 1, 99}, 60);
    auto f = parse_frame("<input type=\"hidden\" id=\"event-cursor\" value=\"23\" hx-swap-oob=\"true\">"
                         "<div id=\"messages\" hx-swap-oob=\"beforeend\"><div class=\"message group\" "
                         "id=\"message-23\" data-seq=\"23\"><p>" +
                         text + "</p></div></div>");
    CHECK(f.seq == 23);
    REQUIRE(f.mark.has_value());
    CHECK(f.mark->post == 7);
    // An edit or a reaction: a number, and no new message.
    auto edit = parse_frame("<input type=\"hidden\" id=\"event-cursor\" value=\"24\" hx-swap-oob=\"true\">"
                            "<div class=\"reactions\" id=\"reactions-23\" hx-swap-oob=\"true\"></div>");
    CHECK(edit.seq == 24);
    CHECK_FALSE(edit.mark.has_value());
}

TEST_CASE("frames that are not bench messages have no marker", "[bench]") {
    auto gone =
        parse_frame("<div id=\"messages\" hx-swap-oob=\"beforeend\"><p id=\"channel-gone\">This channel "
                    "was deleted.</p></div>");
    CHECK(gone.seq == -1);
    CHECK_FALSE(gone.mark.has_value());
    auto other = parse_frame("<div data-seq=\"5\"><p>hello eb:12:x</p></div>");
    CHECK(other.seq == 5);
    CHECK_FALSE(other.mark.has_value());
}

TEST_CASE("in-order deliveries are clean and the missing tail counts as lost", "[bench]") {
    delivery_tracker t(10);
    for (int s = 11; s <= 20; ++s)
        CHECK(t.on_message(s) == delivery_tracker::verdict::in_order);
    auto done = t.finish(20);
    CHECK(done.clean());
    CHECK(done.delivered == 10);
    auto short_of = t.finish(23);
    CHECK(short_of.lost == 3);
    CHECK_FALSE(short_of.clean());
}

TEST_CASE("duplicates, reordering and holes are each counted", "[bench]") {
    delivery_tracker t(0);
    t.on_message(1);
    t.on_message(2);
    CHECK(t.on_message(2) == delivery_tracker::verdict::duplicate);
    t.on_message(5); // 3 and 4 skipped
    CHECK(t.on_message(4) == delivery_tracker::verdict::out_of_order);
    CHECK(t.on_message(4) == delivery_tracker::verdict::duplicate);
    t.on_message(9); // 6, 7, 8 skipped
    CHECK(t.on_message(7) == delivery_tracker::verdict::out_of_order);
    auto c = t.finish(10);
    CHECK(c.duplicated == 2);
    CHECK(c.out_of_order == 2);
    CHECK(c.lost == 1 + 2 + 1); // 3; 6 and 8; 10
    CHECK(c.delivered == 8);
}

TEST_CASE("the histogram's percentiles are within 1% and max is exact", "[bench]") {
    histogram h;
    for (std::uint64_t v = 1; v <= 100000; ++v)
        h.record(v);
    CHECK(h.count() == 100000);
    CHECK(h.max() == 100000);
    auto near = [](std::uint64_t got, double want) {
        return std::abs(static_cast<double>(got) - want) <= want * 0.01;
    };
    CHECK(near(h.percentile(50), 50000));
    CHECK(near(h.percentile(99), 99000));
    CHECK(near(h.percentile(99.9), 99900));
    CHECK(h.percentile(100) == 100000);
    for (std::uint64_t v : {0ull, 1ull, 255ull, 256ull, 1000ull, 123456789ull})
        CHECK(histogram::highest_equivalent(histogram::index_of(v)) >= v);
    histogram other;
    other.record(7);
    h.merge(other);
    CHECK(h.count() == 100001);
}

TEST_CASE("flags: urls repeat, scenarios are checked, the suite is the default", "[bench]") {
    auto r = parse_options({"--url", "http://127.0.0.1:8080/", "--url=http://localhost:9000",
                            "--database-url", "postgresql://x", "--subscribers", "500"});
    REQUIRE(r.error.empty());
    REQUIRE(r.opts.urls.size() == 2);
    CHECK(r.opts.urls[0].base == "http://127.0.0.1:8080");
    CHECK(r.opts.urls[1].port == 9000);
    CHECK(r.opts.subscribers == 500);
    CHECK(r.opts.scenarios == standard_scenarios());
    CHECK_FALSE(
        parse_options({"--url", "http://a:1", "--database-url", "x", "--scenario", "nope"}).error.empty());
    CHECK_FALSE(parse_options({"--url", "ftp://a", "--database-url", "x"}).error.empty());
    CHECK_FALSE(parse_options({"--database-url", "x"}).error.empty());
}

namespace {

std::string server_frame(std::uint8_t first_byte, const std::string& payload) {
    std::string f(1, static_cast<char>(first_byte));
    if (payload.size() < 126) {
        f.push_back(static_cast<char>(payload.size()));
    } else if (payload.size() < 65536) {
        f.push_back(static_cast<char>(126));
        f.push_back(static_cast<char>(payload.size() >> 8));
        f.push_back(static_cast<char>(payload.size() & 0xff));
    } else {
        f.push_back(static_cast<char>(127));
        for (int shift = 56; shift >= 0; shift -= 8)
            f.push_back(static_cast<char>((payload.size() >> shift) & 0xff));
    }
    return f + payload;
}

struct recorded : ws_frame_events {
    std::vector<std::string> messages;
    std::vector<std::string> pings;
    std::uint16_t close = 0;
    void on_message(std::string_view p) override { messages.emplace_back(p); }
    void on_ping(std::string_view p) override { pings.emplace_back(p); }
    void on_close(std::uint16_t c) override { close = c; }
};

} // namespace

TEST_CASE("websocket frames of every length form are read, across reads and fragments", "[bench]") {
    const std::string small(100, 'a'), medium(300, 'b'), large(70000, 'c');
    const std::string stream = server_frame(0x81, small) + server_frame(0x89, "hi") +
                               server_frame(0x81, medium) + server_frame(0x01, "frag") +
                               server_frame(0x80, "mented") + server_frame(0x82, large);
    // Fed in awkward pieces: every split point inside headers and payloads must work.
    for (std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{1000}, stream.size()}) {
        ws_frame_reader reader;
        recorded ev;
        for (std::size_t at = 0; at < stream.size(); at += piece)
            REQUIRE(reader.feed(std::string_view(stream).substr(at, piece), ev));
        REQUIRE(ev.messages.size() == 4);
        CHECK(ev.messages[0] == small);
        CHECK(ev.messages[1] == medium);
        CHECK(ev.messages[2] == "fragmented");
        CHECK(ev.messages[3] == large);
        CHECK(ev.pings == std::vector<std::string>{"hi"});
    }
}

TEST_CASE("a close frame ends the stream with its code; a masked server frame is refused", "[bench]") {
    ws_frame_reader reader;
    recorded ev;
    CHECK_FALSE(reader.feed(server_frame(0x88, std::string("\x03\xf1", 2) + "bye"), ev));
    CHECK(ev.close == 1009);
    ws_frame_reader other;
    std::string masked = server_frame(0x81, "x");
    masked[1] = static_cast<char>(masked[1] | 0x80);
    masked.insert(2, 4, '\0');
    CHECK_FALSE(other.feed(masked, ev));
    auto pong = client_control_frame(0xA, "hi");
    CHECK(pong.size() == 2 + 4 + 2);
    CHECK(static_cast<unsigned char>(pong[0]) == 0x8A);
    CHECK(static_cast<unsigned char>(pong[1]) == 0x82);
}

TEST_CASE("a loader that spends more CPU per unit than the server says so", "[bench]") {
    eelbench::window_result w;
    w.seconds = 2;
    w.server_before = eelbench::process_sample{};
    w.server_after = eelbench::process_sample{};
    w.server_after->cpu_seconds = 1.0; // 0.5 cores
    w.loader_before = eelbench::process_sample{};
    w.loader_after = eelbench::process_sample{};
    w.loader_after->cpu_seconds = 1.5; // 0.75 cores
    eelbench::report r;
    eelbench::add_server_cpu(r, w, 1e6, "delivery");
    CHECK(r.results.at("server_cpu_us_per_delivery").as_double() == Approx(1.0));
    CHECK(r.results.at("loader_cpu_us_per_delivery").as_double() == Approx(1.5));
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0].find("loader used more CPU per delivery") != std::string::npos);

    eelbench::report quiet;
    w.loader_after->cpu_seconds = 0.5;
    eelbench::add_server_cpu(quiet, w, 1e6, "delivery");
    CHECK(quiet.warnings.empty());
}
