#include "connection_shards.hpp"

#include "core/crypto.hpp"
#include "frames.hpp"
#include "loader.hpp"
#include "measure.hpp"
#include "scenario.hpp"
#include "subscriber_group.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iostream>
#include <stdexcept>

extern char** environ;

namespace eelbench {

std::string connection_cookie(const std::string& tag, std::size_t i) {
    return "eelchat_session=" + eelchat::crypto::sha256_hex(tag + ":" + std::to_string(i + 2));
}

shard_process::shard_process(const std::vector<target_url>& urls, const std::string& path,
                             const std::string& tag, std::size_t first, std::size_t count, unsigned threads) {
    std::vector<std::string> args = {"eelbench",  "--connections-shard",
                                     "--path",    path,
                                     "--tag",     tag,
                                     "--first",   std::to_string(first),
                                     "--count",   std::to_string(count),
                                     "--threads", std::to_string(threads)};
    for (const auto& u : urls) {
        args.push_back("--url");
        args.push_back(u.base);
    }
    int out[2], in[2];
    if (::pipe(out) != 0 || ::pipe(in) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addclose(&actions, in[1]);
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(in[0]);
    if (rc != 0) {
        ::close(out[0]);
        ::close(in[1]);
        throw std::runtime_error("cannot start a connections helper process");
    }
    out_ = ::fdopen(out[0], "r");
    in_ = in[1];
}

shard_process::~shard_process() {
    if (in_ >= 0) ::close(in_);
    if (out_) std::fclose(out_);
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
}

bool shard_process::wait_connected(std::uint64_t& ok, std::uint64_t& failed) {
    unsigned long long a = 0, b = 0;
    if (std::fscanf(out_, " connected %llu %llu", &a, &b) != 2) return false;
    ok = a;
    failed = b;
    return true;
}

bool shard_process::finish(std::int64_t final_seq, delivery_counts& c, std::uint64_t& dropped) {
    const std::string line = "finish " + std::to_string(final_seq) + "\n";
    if (::write(in_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return false;
    unsigned long long v[6] = {};
    if (std::fscanf(out_, " result %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                    &v[5]) != 6)
        return false;
    c.delivered = v[0];
    c.duplicated = v[1];
    c.out_of_order = v[2];
    c.lost = v[3];
    c.foreign = v[4];
    dropped = v[5];
    return true;
}

int connections_shard_main(const std::vector<std::string>& args) {
    std::string path, tag;
    std::size_t first = 0, count = 0;
    unsigned threads = 1;
    bench_context ctx;
    for (std::size_t i = 1; i + 1 < args.size(); i += 2) {
        const std::string& k = args[i];
        const std::string& v = args[i + 1];
        if (k == "--path")
            path = v;
        else if (k == "--tag")
            tag = v;
        else if (k == "--first")
            first = std::stoull(v);
        else if (k == "--count")
            count = std::stoull(v);
        else if (k == "--threads")
            threads = static_cast<unsigned>(std::stoul(v));
        else if (k == "--url") {
            auto u = parse_url(v);
            if (!u) return 2;
            ctx.instances.push_back(instance{*u, resolve(*u)});
        }
    }
    if (ctx.instances.empty() || count == 0) return 2;
    ctx.threads = threads;
    loader pool(threads);
    pool.start();
    subscriber_group group(ctx, pool);
    std::vector<subscription_spec> specs;
    for (std::size_t i = first; i < first + count; ++i) {
        subscription_spec s;
        s.target = path + "/connect?after=0";
        s.cookie = connection_cookie(tag, i);
        s.instance = i % ctx.instances.size();
        specs.push_back(std::move(s));
    }
    const std::size_t connected = group.connect_all(specs, 300);
    std::cout << "connected " << connected << " " << (count - connected) << std::endl;
    std::string word;
    std::int64_t final_seq = 0;
    if (!(std::cin >> word >> final_seq) || word != "finish") return 1;
    const std::uint64_t expected = static_cast<std::uint64_t>(final_seq) * connected;
    wait_until([&] { return pool.total_deliveries() >= expected || group.dropped() > 0; }, 60);
    group.close_all();
    pool.stop();
    const delivery_counts c = group.finish(final_seq);
    std::cout << "result " << c.delivered << " " << c.duplicated << " " << c.out_of_order << " " << c.lost
              << " " << c.foreign << " " << group.dropped() << std::endl;
    return 0;
}

} // namespace eelbench
