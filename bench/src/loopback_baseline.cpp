// The network-stack limit for fanout: a minimal Beast websocket server in a child process (one process
// cannot hold both ends of 10,000 sockets under the 20,000 open-file limit) writes 100-byte frames to
// the bench's subscribers over loopback, with the same number of messages in flight as fanout (the bench
// reports each message that reached every subscriber back through the child's stdin). Two
// modes: one write per frame per socket (Beast's async_write, the chat-multi design) and batched (every
// queued frame of a socket in one gather write; server frames are unmasked, so a frame is built once).
// The subscribers are fanout's, so the loader's cost is the same on both sides of the ratio.
#include "completion.hpp"
#include "frames.hpp"
#include "loader.hpp"
#include "measure.hpp"
#include "scenario.hpp"
#include "signal.hpp"
#include "subscriber_group.hpp"

#include "core/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <deque>
#include <thread>

extern char** environ;

namespace eelbench {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;

namespace {

constexpr std::size_t ring = 4096;

struct log_failure {
    void operator()(std::exception_ptr e) const {
        if (e) std::fprintf(stderr, "eelbench loopback server: %s\n", eelchat::exception_message(e).c_str());
    }
};

struct lb_conn {
    explicit lb_conn(tcp::socket s) : ws(std::move(s)), wake(ws.get_executor()) {}
    websocket::stream<tcp::socket> ws;
    async_signal wake;
    std::deque<std::pair<std::uint64_t, std::shared_ptr<const std::string>>> queue;
    bool dead = false;
};

// One per server thread: its connections and its broadcaster; nothing crosses threads but `accepted`.
struct lb_thread {
    explicit lb_thread(asio::any_io_executor ex) : progress(ex), complete(ring, 0) {}
    std::vector<std::shared_ptr<lb_conn>> conns;
    async_signal progress;
    std::vector<char> complete; // by message index: the bench received it on every socket
};

struct lb_server {
    int subscribers;
    int in_flight;
    int message_size;
    bool batched;
    std::atomic<int> accepted{0};
};

asio::awaitable<void> writer(lb_server& srv, std::shared_ptr<lb_conn> c) {
    boost::system::error_code ec;
    std::vector<asio::const_buffer> gather;
    std::vector<std::uint64_t> written;
    while (!c->dead) {
        while (c->queue.empty())
            co_await c->wake.wait();
        gather.clear();
        written.clear();
        if (srv.batched) {
            for (std::size_t i = 0; i < c->queue.size() && i < 64; ++i) {
                gather.push_back(asio::buffer(*c->queue[i].second));
                written.push_back(c->queue[i].first);
            }
            co_await asio::async_write(c->ws.next_layer(), gather,
                                       asio::redirect_error(asio::use_awaitable, ec));
        } else {
            // The payload is the frame minus its 2-byte header (payloads are under 126 bytes).
            const std::string& f = *c->queue.front().second;
            written.push_back(c->queue.front().first);
            co_await c->ws.async_write(asio::buffer(f.data() + 2, f.size() - 2),
                                       asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec) {
            c->dead = true;
            break;
        }
        for (std::size_t i = 0; i < written.size(); ++i)
            c->queue.pop_front();
    }
}

asio::awaitable<void> broadcaster(lb_server& srv, lb_thread& th) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer poll(ex);
    while (srv.accepted.load() < srv.subscribers) {
        poll.expires_after(std::chrono::milliseconds(5));
        co_await poll.async_wait(asio::use_awaitable);
    }
    if (th.conns.empty()) co_return;
    for (std::uint64_t k = 0;; ++k) {
        if (k >= static_cast<std::uint64_t>(srv.in_flight)) {
            const std::uint64_t old = k - static_cast<std::uint64_t>(srv.in_flight);
            while (!th.complete[old % ring])
                co_await th.progress.wait(std::chrono::milliseconds(50));
        }
        th.complete[k % ring] = 0;
        const std::string payload =
            make_text(bench_mark{k, 0, now_ns()}, static_cast<std::size_t>(srv.message_size));
        auto frame = std::make_shared<std::string>();
        frame->push_back(static_cast<char>(0x81)); // FIN, text
        frame->push_back(static_cast<char>(payload.size()));
        *frame += payload;
        std::shared_ptr<const std::string> shared = std::move(frame);
        for (auto& c : th.conns) {
            if (c->dead) continue;
            c->queue.emplace_back(k, shared);
            c->wake.notify_all();
        }
    }
}

asio::awaitable<void> session(lb_server& srv, lb_thread& th, tcp::socket s) {
    s.set_option(tcp::no_delay(true));
    auto c = std::make_shared<lb_conn>(std::move(s));
    boost::system::error_code ec;
    co_await c->ws.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    c->ws.text(true);
    th.conns.push_back(c);
    srv.accepted.fetch_add(1);
    co_await writer(srv, c);
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor,
                                  std::vector<std::unique_ptr<asio::io_context>>& ctxs,
                                  std::vector<std::unique_ptr<lb_thread>>& ths, lb_server& srv) {
    for (std::size_t n = 0;; ++n) {
        auto& target = *ctxs[n % ctxs.size()];
        tcp::socket s = co_await acceptor.async_accept(target, asio::use_awaitable);
        asio::co_spawn(target, session(srv, *ths[n % ths.size()], std::move(s)), log_failure{});
    }
}

// Completions from the bench: 8-byte message numbers on stdin, handed to every thread's broadcaster.
asio::awaitable<void> completion_reader(std::vector<std::unique_ptr<asio::io_context>>& ctxs,
                                        std::vector<std::unique_ptr<lb_thread>>& ths) {
    asio::posix::stream_descriptor in(co_await asio::this_coro::executor, ::dup(0));
    std::array<std::uint64_t, 512> ks{};
    boost::system::error_code ec;
    std::size_t carry = 0;
    auto* bytes = reinterpret_cast<char*>(ks.data());
    for (;;) {
        const std::size_t n = co_await in.async_read_some(asio::buffer(bytes + carry, sizeof ks - carry),
                                                          asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        const std::size_t total = carry + n;
        const std::size_t whole = total / 8;
        std::vector<std::uint64_t> done(ks.begin(), ks.begin() + static_cast<std::ptrdiff_t>(whole));
        carry = total % 8;
        std::memmove(bytes, bytes + whole * 8, carry);
        for (std::size_t i = 0; i < ctxs.size(); ++i) {
            asio::post(*ctxs[i], [th = ths[i].get(), done] {
                for (auto k : done)
                    th->complete[k % ring] = 1;
                th->progress.notify_all();
            });
        }
    }
    // The bench is gone: so is the baseline.
    for (auto& c : ctxs)
        c->stop();
}

} // namespace

int loopback_server_main(int subscribers, int in_flight, int message_size, unsigned threads, bool batched) {
    if (message_size > 125) message_size = 125;
    lb_server srv{subscribers, in_flight, message_size, batched};
    std::vector<std::unique_ptr<asio::io_context>> ctxs;
    std::vector<std::unique_ptr<lb_thread>> ths;
    for (unsigned i = 0; i < std::max(1u, threads); ++i) {
        ctxs.push_back(std::make_unique<asio::io_context>(1));
        ths.push_back(std::make_unique<lb_thread>(ctxs.back()->get_executor()));
    }
    tcp::acceptor acceptor(*ctxs[0], tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor.listen(asio::socket_base::max_listen_connections);
    std::printf("%u\n", acceptor.local_endpoint().port());
    std::fflush(stdout);
    asio::co_spawn(*ctxs[0], accept_loop(acceptor, ctxs, ths, srv), log_failure{});
    asio::co_spawn(*ctxs[0], completion_reader(ctxs, ths), log_failure{});
    for (std::size_t i = 0; i < ctxs.size(); ++i)
        asio::co_spawn(*ctxs[i], broadcaster(srv, *ths[i]), log_failure{});
    std::vector<std::thread> running;
    for (auto& c : ctxs)
        running.emplace_back([ctx = c.get()] { ctx->run(); });
    for (auto& t : running)
        t.join();
    return 0;
}

report run_loopback_baseline(bench_context& ctx, bool batched) {
    const options& o = ctx.opts;
    const int subscribers = o.subscribers;
    const double duration = std::min(o.duration, 5.0);
    report r;
    r.scenario = batched ? "baseline_loopback_ws_batched" : "baseline_loopback_ws_single";
    r.parameters["subscribers"] = subscribers;
    r.parameters["in_flight"] = o.in_flight;
    r.parameters["server_threads"] = ctx.threads;
    r.parameters["message_bytes"] = std::min(o.message_size, 125);
    r.parameters["writes"] = batched ? "all queued frames per write" : "one write per frame";
    r.parameters["warmup_s"] = 1.0;
    r.parameters["duration_s"] = duration;
    std::fprintf(stderr, "eelbench: baseline: loopback websocket writes (%s) to %d subscribers\n",
                 batched ? "batched" : "one per frame", subscribers);

    int out[2], in[2];
    if (::pipe(out) != 0 || ::pipe(in) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addclose(&actions, in[1]);
    std::vector<std::string> args = {
        "eelbench",    "--loopback-server",         "--subscribers",  std::to_string(subscribers),
        "--in-flight", std::to_string(o.in_flight), "--message-size", std::to_string(o.message_size),
        "--threads",   std::to_string(ctx.threads), "--batched",      batched ? "1" : "0"};
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t child = 0;
    if (posix_spawn(&child, "/proc/self/exe", &actions, nullptr, argv.data(), environ) != 0)
        throw std::runtime_error("cannot start the loopback server");
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(in[0]);
    std::string line;
    char ch = 0;
    while (::read(out[0], &ch, 1) == 1 && ch != '\n')
        line += ch;
    ::close(out[0]);
    const int port = line.empty() ? 0 : std::stoi(line);

    bench_context local = ctx;
    target_url u = *parse_url("http://127.0.0.1:" + std::to_string(port));
    local.instances = {instance{u, resolve(u)}};
    {
        loader threads(ctx.threads);
        threads.start();
        subscriber_group group(local, threads);
        group.raw_frames = true;
        std::vector<subscription_spec> specs(static_cast<std::size_t>(subscribers));
        for (auto& s : specs)
            s.target = "/";
        // Subscriber i runs on thread i % threads (subscriber_group's rule); the child starts writing as
        // soon as the last one is accepted, so the flow control must be in place before connecting.
        std::vector<std::size_t> subs_on(threads.size(), 0);
        for (std::size_t i = 0; i < specs.size(); ++i)
            ++subs_on[i % threads.size()];
        completion_counter completion(subs_on);
        const int report_fd = in[1];
        group.on_delivered = [&completion, report_fd](unsigned t, std::uint64_t k) {
            if (!completion.delivered(t, k)) return;
            // 8 bytes into a pipe: atomic, and the child reads them at once.
            [[maybe_unused]] auto n = ::write(report_fd, &k, sizeof k);
        };
        const std::size_t connected = group.connect_all(specs, 180);
        if (connected < specs.size()) {
            r.failures.push_back("loopback subscribers could not connect: " + group.first_error());
        } else {
            const std::vector<int> server = {static_cast<int>(child)};
            auto w = measure_window(threads, server, 1.0, duration);
            const double rate = static_cast<double>(threads.window_deliveries()) / w.seconds;
            if (batched)
                ctx.base.loopback_batched_per_s = rate;
            else
                ctx.base.loopback_single_per_s = rate;
            r.add_rate("frames_per_s", rate, "frames delivered/s", "frames/s");
            add_server_cpu(r, w, rate * w.seconds, "frame");
            group.close_all();
            threads.stop();
            r.add_latency("latency", threads.merged_latency(), "write-to-delivery latency");
            const delivery_counts counts = group.finish(0);
            r.add_deliveries(counts, counts.delivered);
        }
        group.close_all();
        threads.stop();
    }
    ::close(in[1]);
    ::kill(child, SIGTERM);
    int status = 0;
    ::waitpid(child, &status, 0);
    return r;
}

} // namespace eelbench
