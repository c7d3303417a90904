// Test support for the SMTP mailer: tests/support/smtp_server.py (aiosmtpd) as a child process with
// self-signed certificates made once per test process, and helpers to send one message and read the log.
#pragma once

#include "mail/mailer.hpp"
#include "mail/smtp_mailer.hpp"
#include "support/async.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace eelchat::test::smtp {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::ip::tcp;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace fs = std::filesystem;

inline constexpr auto python = "/usr/bin/python3"; // Debian's, which has python3-aiosmtpd (pyenv's may not)
inline constexpr auto startup_limit = std::chrono::seconds(10);

inline fs::path server_script() {
    return fs::path(__FILE__).parent_path().parent_path() / "support" / "smtp_server.py";
}

// Self-signed certificates made once per test process with the openssl CLI, removed at exit.
class test_certificates {
public:
    test_certificates() {
        char dir[] = "/tmp/eelchat-smtp-XXXXXX";
        REQUIRE(::mkdtemp(dir) != nullptr);
        dir_ = dir;
        // For the server the tests connect to: valid for 127.0.0.1 and localhost.
        make("server",
             "-newkey rsa:2048 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1");
        // Trusted too, but for another name: host name verification must refuse it.
        make("other", "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj /CN=mail.invalid "
                      "-addext subjectAltName=DNS:mail.invalid");
    }
    ~test_certificates() {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    test_certificates(const test_certificates&) = delete;
    test_certificates& operator=(const test_certificates&) = delete;

    std::string cert(const std::string& name) const { return (dir_ / (name + ".pem")).string(); }
    std::string key(const std::string& name) const { return (dir_ / (name + ".key")).string(); }

private:
    void make(const std::string& name, const std::string& args) {
        const std::string cmd = "openssl req -x509 -nodes -days 2 " + args + " -keyout '" + key(name) +
                                "' -out '" + cert(name) + "' >/dev/null 2>&1";
        REQUIRE(std::system(cmd.c_str()) == 0);
    }

    fs::path dir_;
};

inline const test_certificates& certificates() {
    static test_certificates c;
    return c;
}

struct server_options {
    std::string tls_cert; // "server" or "other": offer STARTTLS with that certificate
    std::string user;     // enables AUTH
    std::string password;
    bool auth_without_tls = false;
    bool login_only = false;
    std::vector<std::string> reject;
};

// tests/support/smtp_server.py as a child process: started and ready when constructed, stopped by stop()
// (or killed by the destructor when a test fails first).
class smtp_test_server {
public:
    explicit smtp_test_server(const server_options& o = {}) {
        if (!fs::exists(server_script())) FAIL("the SMTP test server script is missing: " << server_script());
        std::vector<std::string> args = {python, server_script().string()};
        if (!o.tls_cert.empty()) {
            args.insert(args.end(),
                        {"--cert", certificates().cert(o.tls_cert), "--key", certificates().key(o.tls_cert)});
        }
        if (!o.user.empty()) args.insert(args.end(), {"--user", o.user, "--password", o.password});
        if (o.auth_without_tls) args.push_back("--auth-without-tls");
        if (o.login_only) args.push_back("--no-plain");
        for (const auto& r : o.reject)
            args.insert(args.end(), {"--reject", r});
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);

        int out[2];
        int in[2];
        REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
        REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        // Its stdin is a pipe only we hold: if this process dies, the server sees EOF and exits.
        posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        const int rc = ::posix_spawn(&pid_, python, &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(in[0]);
        ::close(out[1]);
        stdin_ = in[1];
        stdout_ = out[0];
        if (rc != 0) {
            pid_ = -1;
            release();
            FAIL("cannot start " << python << ": " << std::strerror(rc));
        }
        try {
            auto ready = read_line(steady_clock::now() + startup_limit);
            REQUIRE(ready.has_value());
            auto v = json::parse(*ready).as_object();
            REQUIRE(v.at("event").as_string() == "ready");
            port_ = static_cast<std::uint16_t>(v.at("port").to_number<int>());
        } catch (...) {
            release(); // the destructor does not run when the constructor throws
            throw;
        }
    }

    ~smtp_test_server() { release(); }
    smtp_test_server(const smtp_test_server&) = delete;
    smtp_test_server& operator=(const smtp_test_server&) = delete;

    std::uint16_t port() const { return port_; }

    // Stops the server (SIGTERM) and returns what it reported after "ready", in order.
    std::vector<json::object> stop() {
        ::kill(pid_, SIGTERM);
        std::vector<json::object> events;
        const auto deadline = steady_clock::now() + startup_limit;
        while (auto line = read_line(deadline))
            events.push_back(json::parse(*line).as_object());
        REQUIRE(eof_);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        CHECK(WIFEXITED(status));
        return events;
    }

private:
    void release() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
        if (stdin_ >= 0) ::close(stdin_);
        if (stdout_ >= 0) ::close(stdout_);
        stdin_ = stdout_ = -1;
    }

    // The next line of the server's stdout; nullopt at EOF, or (with a failure) at the deadline.
    std::optional<std::string> read_line(steady_clock::time_point deadline) {
        for (;;) {
            if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
                std::string line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                return line;
            }
            if (eof_) return std::nullopt;
            const auto left =
                std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now()).count();
            if (left <= 0) FAIL("the SMTP test server did not answer in time");
            pollfd p{stdout_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
            char chunk[4096];
            const ssize_t n = ::read(stdout_, chunk, sizeof chunk);
            if (n <= 0) {
                eof_ = true;
                continue;
            }
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    pid_t pid_ = -1;
    int stdin_ = -1;
    int stdout_ = -1;
    std::string buffer_;
    bool eof_ = false;
    std::uint16_t port_ = 0;
};

inline std::vector<json::object> events_named(const std::vector<json::object>& events,
                                              std::string_view name) {
    std::vector<json::object> out;
    for (const auto& e : events)
        if (e.at("event").as_string() == name) out.push_back(e);
    return out;
}

inline mail::smtp_config config_for(std::uint16_t port) {
    mail::smtp_config cfg;
    cfg.host = "127.0.0.1";
    cfg.port = port;
    cfg.from = "eelchat@chat.example";
    cfg.timeout = std::chrono::seconds(5);
    return cfg;
}

struct send_result {
    boost::system::error_code ec;
    std::vector<std::string> log;
    milliseconds took{0};

    std::string all_log() const {
        std::string s;
        for (const auto& l : log)
            s += l + "\n";
        return s;
    }
};

inline send_result send_with(mail::smtp_config cfg, const mail::message& msg) {
    send_result r;
    asio::io_context ctx;
    logger log(log_level::debug, [&r](std::string_view l) { r.log.emplace_back(l); });
    auto mailer = mail::make_smtp_mailer(ctx.get_executor(), std::move(cfg), log);
    const auto started = steady_clock::now();
    r.ec = test::run_async(ctx, mailer->send(msg), std::chrono::seconds(10));
    r.took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - started);
    return r;
}

// A port on 127.0.0.1 nobody listens on (bound once, then closed).
inline std::uint16_t closed_port() {
    asio::io_context ctx;
    tcp::acceptor a(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

inline const mail::message welcome{
    "bob@example.org", "Willkommen, Jürgen \xe2\x9c\x93",
    "Hello Bob,\n.a line that starts with a dot\n..and two\n.\nGrüße \xf0\x9f\x90\x8d\n"};

} // namespace eelchat::test::smtp
