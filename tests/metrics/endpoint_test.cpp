#include "metrics/endpoint.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

using namespace eelchat;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// One request over a fresh connection that the server closes after its answer; the raw answer.
std::string ask(std::uint16_t port, const std::string& request) {
    asio::io_context io;
    tcp::socket s(io);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    asio::write(s, asio::buffer(request));
    std::string out;
    boost::system::error_code ec;
    asio::read(s, asio::dynamic_buffer(out), ec); // until the server closes
    return out;
}

std::string get(std::uint16_t port, const std::string& method, const std::string& target) {
    return ask(port, method + " " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
}

} // namespace

TEST_CASE("the metrics endpoint serves the registry at /metrics in the 0.0.4 text format and 404 elsewhere",
          "[unit][metrics]") {
    metrics::registry reg;
    reg.counters("test_scraped_total", "Test.").get().inc(7);
    metrics::endpoint_options opts;
    opts.port = 0;
    metrics::endpoint ep(opts, reg, logger::null());
    REQUIRE(ep.port() != 0);

    const auto ok = get(ep.port(), "GET", "/metrics?name[]=x");
    CHECK(ok.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(ok.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != std::string::npos);
    CHECK(ok.find("\r\n\r\n# HELP test_scraped_total Test.\n# TYPE test_scraped_total counter\n"
                  "test_scraped_total 7\n") != std::string::npos);
    const auto head = get(ep.port(), "HEAD", "/metrics");
    CHECK(head.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(head.ends_with("\r\n\r\n"));

    CHECK(get(ep.port(), "GET", "/").starts_with("HTTP/1.1 404 "));
    CHECK(get(ep.port(), "GET", "/metricsx").starts_with("HTTP/1.1 404 "));
    CHECK(get(ep.port(), "POST", "/metrics").starts_with("HTTP/1.1 405 "));
    // Not HTTP: the connection is closed without an answer, and the endpoint keeps serving.
    CHECK(ask(ep.port(), "\x16\x03\x01 hello\r\n\r\n").empty());
    CHECK(get(ep.port(), "GET", "/metrics").starts_with("HTTP/1.1 200 OK\r\n"));
    ep.stop();
    ep.stop(); // idempotent
}
