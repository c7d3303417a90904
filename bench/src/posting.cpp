#include "posting.hpp"

#include "frames.hpp"

#include <cstdio>

namespace eelbench {

namespace asio = boost::asio;

std::string client_id_for(std::uint64_t n) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012llx", static_cast<unsigned long long>(n));
    return buf;
}

asio::awaitable<bool> poster::ensure_connected() {
    if (http_.connected()) co_return true;
    auto ec = co_await http_.connect(where_);
    if (ec) last_error_ = "http connect: " + ec.message();
    co_return !ec;
}

asio::awaitable<unsigned> poster::post(const std::string& path, std::uint32_t channel, std::uint64_t n,
                                       std::int64_t sent_ns) {
    const bool up = co_await ensure_connected();
    if (!up) co_return 0u;
    bench_mark mark{n, channel, sent_ns};
    const std::string request =
        format_post(where_.host_header, path, user_.cookie, user_.csrf,
                    make_text(mark, static_cast<std::size_t>(message_size_)), client_id_for(n));
    boost::system::error_code ec;
    const unsigned status = co_await http_.send(request, ec);
    if (ec)
        last_error_ = "http post: " + ec.message();
    else if (status != 200)
        last_error_ = "http post answered " + std::to_string(status);
    co_return status;
}

asio::awaitable<unsigned> poster::get(const std::string& target, std::string& body) {
    const bool up = co_await ensure_connected();
    if (!up) co_return 0u;
    const std::string request = format_get(where_.host_header, target, user_.cookie);
    boost::system::error_code ec;
    const unsigned status = co_await http_.send(request, ec, &body);
    if (ec)
        last_error_ = "http get: " + ec.message();
    else if (status != 200)
        last_error_ = "http get answered " + std::to_string(status);
    co_return status;
}

} // namespace eelbench
