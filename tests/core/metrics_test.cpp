#include "core/metrics.hpp"

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

using namespace eelchat::metrics;

namespace {

constexpr std::array<double, 3> small_buckets = {0.1, 1, 10};

bool contains(const std::string& text, std::string_view line) {
    return text.find(std::string(line) + "\n") != std::string::npos;
}

} // namespace

TEST_CASE("counters and gauges count, from several threads without losing an add", "[unit][metrics]") {
    registry r;
    auto& c = r.counters("test_events_total", "Events.").get();
    auto& g = r.gauges("test_open", "Open things.").get();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 10000; ++i) {
                c.inc();
                g.add(2);
                g.sub();
            }
        });
    for (auto& t : threads)
        t.join();
    CHECK(c.value() == 40000);
    CHECK(g.value() == 40000);
    c.inc(5);
    CHECK(c.value() == 40005);
    g.set(-3);
    CHECK(g.value() == -3);
}

TEST_CASE("a histogram counts each observation into the first bucket whose bound holds it",
          "[unit][metrics]") {
    histogram h(small_buckets);
    h.observe(0.05);
    h.observe(0.1); // on the bound: le="0.1" includes it
    h.observe(0.5);
    h.observe(100);
    CHECK(h.bucket_count(0) == 2);
    CHECK(h.bucket_count(1) == 1);
    CHECK(h.bucket_count(2) == 0);
    CHECK(h.bucket_count(3) == 1); // +Inf
    CHECK(h.sum() == Approx(100.65));
}

TEST_CASE("a labelled child is the same object every time, and distinct values are distinct children",
          "[unit][metrics]") {
    registry r;
    auto& f = r.counters("test_requests_total", "Requests.", {"route", "status"});
    auto& a = f.with({"/a", "200"});
    auto& b = f.with({"/a", "404"});
    CHECK(&a != &b);
    CHECK(&f.with({"/a", "200"}) == &a);
    // The registry hands out the same family for the same name.
    CHECK(&r.counters("test_requests_total", "Requests.", {"route", "status"}) == &f);
    CHECK_THROWS(r.gauges("test_requests_total", "Not a gauge."));
    CHECK_THROWS(f.with({"/a"}));
}

TEST_CASE("past its cap a family puts new label values into one child labelled other", "[unit][metrics]") {
    family<counter> f("test_capped_total", "Capped.", metric_type::counter, {"id"}, {}, 3);
    for (int i = 0; i < 10; ++i)
        f.with({std::to_string(i)}).inc();
    f.with({"0"}).inc(); // an existing child stays itself
    text_writer out;
    f.write(out);
    CHECK(contains(out.text(), "test_capped_total{id=\"0\"} 2"));
    CHECK(contains(out.text(), "test_capped_total{id=\"2\"} 1"));
    CHECK(contains(out.text(), "test_capped_total{id=\"other\"} 7"));
    CHECK(out.text().find("id=\"5\"") == std::string::npos);
}

TEST_CASE("the text format has HELP and TYPE lines, escaped labels and cumulative buckets",
          "[unit][metrics]") {
    registry r;
    r.counters("test_total", "Things\nthat happened \\ here.").get().inc(3);
    r.gauges("test_level", "A level.", {"name"}).with({"say \"hi\"\\\n"}).set(-2);
    auto& h = r.histograms("test_duration_seconds", "Durations.", small_buckets, {"route"}).with({"/x"});
    h.observe(0.05);
    h.observe(0.5);
    h.observe(50);
    r.add_collector([](text_writer& out) {
        out.header("process_thing", "Collected at scrape time.", metric_type::gauge);
        out.sample("process_thing", {}, 1.5);
    });
    const std::string text = r.scrape();
    CHECK(contains(text, "# HELP test_total Things\\nthat happened \\\\ here."));
    CHECK(contains(text, "# TYPE test_total counter"));
    CHECK(contains(text, "test_total 3"));
    CHECK(contains(text, "# TYPE test_level gauge"));
    CHECK(contains(text, "test_level{name=\"say \\\"hi\\\"\\\\\\n\"} -2"));
    CHECK(contains(text, "# TYPE test_duration_seconds histogram"));
    CHECK(contains(text, "test_duration_seconds_bucket{route=\"/x\",le=\"0.1\"} 1"));
    CHECK(contains(text, "test_duration_seconds_bucket{route=\"/x\",le=\"1\"} 2"));
    CHECK(contains(text, "test_duration_seconds_bucket{route=\"/x\",le=\"10\"} 2"));
    CHECK(contains(text, "test_duration_seconds_bucket{route=\"/x\",le=\"+Inf\"} 3"));
    CHECK(contains(text, "test_duration_seconds_sum{route=\"/x\"} 50.55"));
    CHECK(contains(text, "test_duration_seconds_count{route=\"/x\"} 3"));
    CHECK(contains(text, "# TYPE process_thing gauge"));
    CHECK(contains(text, "process_thing 1.5"));
    // A family with labels and no child yet still announces itself.
    r.counters("test_unused_total", "Nothing yet.", {"code"});
    CHECK(contains(r.scrape(), "# TYPE test_unused_total counter"));
}

TEST_CASE("values format as the exposition format wants them", "[unit][metrics]") {
    CHECK(format_value(0.25) == "0.25");
    CHECK(format_value(1e-9) == "1e-09");
    CHECK(format_value(1.0 / 0.0) == "+Inf");
    CHECK(format_value(-1.0 / 0.0) == "-Inf");
    CHECK(format_value(0.0 / 0.0) == "NaN");
}

TEST_CASE("metric and label names follow the Prometheus rules", "[unit][metrics]") {
    CHECK(valid_metric_name("eelchat_http_requests_total"));
    CHECK(valid_metric_name("a:b"));
    CHECK_FALSE(valid_metric_name("9lives"));
    CHECK_FALSE(valid_metric_name("has-dash"));
    CHECK_FALSE(valid_metric_name(""));
    CHECK(valid_label_name("route"));
    CHECK_FALSE(valid_label_name("a:b"));
    CHECK_FALSE(valid_label_name("__reserved"));
    CHECK_THROWS(family<counter>("bad-name", "x", metric_type::counter, {}));
    CHECK_THROWS(family<histogram>("ok_seconds", "x", metric_type::histogram, {"le"}, small_buckets));
}
