// The SMTP mailer: its pure protocol pieces, then whole exchanges against a real SMTP server (aiosmtpd,
// started per test by tests/support/smtp_server.py) and against scripted or silent sockets.
#include "net/smtp_client.hpp"

#include "support/async.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
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
#include <variant>
#include <vector>

extern char** environ;

using namespace eelchat;
namespace asio = boost::asio;
namespace json = boost::json;
using asio::ip::tcp;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

// Test-only decoder for checking encoded words; the client itself never decodes base64.
std::string base64_decode(std::string_view in) {
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (char c : in) {
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+')
            v = 62;
        else if (c == '/')
            v = 63;
        else
            break;
        acc = acc << 6 | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    return out;
}

std::vector<std::string> split_crlf(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        auto end = s.find("\r\n", start);
        if (end == std::string::npos) {
            out.push_back(s.substr(start));
            return out;
        }
        out.push_back(s.substr(start, end - start));
        start = end + 2;
    }
}

} // namespace

// --- pure pieces ------------------------------------------------------------------------------------

TEST_CASE("reply parser collects single and multi-line replies", "[unit][mail]") {
    mail::reply_parser p;
    CHECK_FALSE(p.add_line("250-mail.example.org greets you"));
    CHECK_FALSE(p.done());
    CHECK_FALSE(p.add_line("250-STARTTLS"));
    CHECK_FALSE(p.add_line("250 AUTH PLAIN LOGIN"));
    REQUIRE(p.done());
    auto r = p.take();
    CHECK(r.code == 250);
    CHECK(r.lines == std::vector<std::string>{"mail.example.org greets you", "STARTTLS", "AUTH PLAIN LOGIN"});
    CHECK(r.text() == "250 mail.example.org greets you | STARTTLS | AUTH PLAIN LOGIN");

    CHECK_FALSE(p.done());
    CHECK_FALSE(p.add_line("354"));
    REQUIRE(p.done());
    auto bare = p.take();
    CHECK(bare.code == 354);
    CHECK(bare.lines == std::vector<std::string>{""});
}

TEST_CASE("reply parser rejects malformed, inconsistent and oversized replies", "[unit][mail]") {
    const auto first_error = [](std::vector<std::string> lines) {
        mail::reply_parser p;
        for (const auto& l : lines)
            if (auto ec = p.add_line(l)) return ec;
        return boost::system::error_code{};
    };
    const auto protocol_error = boost::system::error_code(mail::errc::protocol_error);
    CHECK(first_error({"25"}) == protocol_error);
    CHECK(first_error({"abc hello"}) == protocol_error);
    CHECK(first_error({"250hello"}) == protocol_error);
    CHECK(first_error({"150 not an SMTP code"}) == protocol_error);
    CHECK(first_error({"650 not an SMTP code"}) == protocol_error);
    CHECK(first_error({"250-first", "251 second"}) == protocol_error);
    CHECK(first_error({"250 done", "250 after the end"}) == protocol_error);
    CHECK_FALSE(first_error({"250 " + std::string(4092, 'x')}));
    CHECK(first_error({"250 " + std::string(4093, 'x')}) == protocol_error);

    std::vector<std::string> hundred(99, "250-line");
    hundred.push_back("250 last");
    CHECK_FALSE(first_error(hundred));
    std::vector<std::string> too_many(100, "250-line");
    too_many.push_back("250 last");
    CHECK(first_error(too_many) == protocol_error);
}

TEST_CASE("EHLO capabilities are read case-insensitively", "[unit][mail]") {
    mail::smtp_reply r{250,
                       {"mail.example.org", "PIPELINING", "starttls", "8BITMIME", "AUTH=LOGIN", "SIZE 1000"}};
    auto caps = mail::parse_ehlo(r);
    CHECK(caps.starttls);
    CHECK(caps.eight_bit_mime);
    CHECK(caps.auth);
    CHECK(caps.auth_login);
    CHECK_FALSE(caps.auth_plain);

    mail::smtp_reply s{250, {"STARTTLS is the server name here", "AUTH CRAM-MD5 plain"}};
    auto other = mail::parse_ehlo(s);
    CHECK_FALSE(other.starttls); // the first line is the greeting, not a keyword
    CHECK(other.auth_plain);
    CHECK_FALSE(other.auth_login);
}

TEST_CASE("base64 and the AUTH PLAIN response follow RFC 4648 and RFC 4616", "[unit][mail]") {
    CHECK(mail::base64_encode("") == "");
    CHECK(mail::base64_encode("f") == "Zg==");
    CHECK(mail::base64_encode("fo") == "Zm8=");
    CHECK(mail::base64_encode("foo") == "Zm9v");
    CHECK(mail::base64_encode("foob") == "Zm9vYg==");
    CHECK(mail::base64_encode("fooba") == "Zm9vYmE=");
    CHECK(mail::base64_encode("foobar") == "Zm9vYmFy");
    CHECK(mail::base64_encode("\xff\xfe") == "//4=");
    CHECK(mail::auth_plain_response("tim", "tanstaaftanstaaf") == "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
}

TEST_CASE("subjects are RFC 2047 encoded only when needed", "[unit][mail]") {
    CHECK(mail::encode_subject("Your sign-in link") == "Your sign-in link");
    CHECK(mail::encode_subject("") == "");

    const std::string utf8 = "Willkommen bei eelchat, Jürgen! Grüße aus Köln \xe2\x9c\x93 \xf0\x9f\x90\x8d "
                             "und noch ein paar Wörter, damit es mehrere Zeilen werden";
    const std::string encoded = mail::encode_subject(utf8);
    std::string decoded;
    bool first = true;
    for (const auto& line : split_crlf(encoded)) {
        // Every line of the header, "Subject: " included on the first, fits in 78 characters.
        CHECK((first ? 9 : 0) + line.size() <= 78);
        std::string_view word = line;
        if (!first) {
            REQUIRE(word.starts_with(' '));
            word.remove_prefix(1);
        }
        first = false;
        REQUIRE(word.starts_with("=?UTF-8?B?"));
        REQUIRE(word.ends_with("?="));
        word.remove_prefix(10);
        word.remove_suffix(2);
        const std::string part = base64_decode(word);
        // No encoded word starts in the middle of a UTF-8 character.
        REQUIRE_FALSE(part.empty());
        CHECK((static_cast<unsigned char>(part[0]) & 0xc0) != 0x80);
        decoded += part;
    }
    CHECK(decoded == utf8);

    // Text that looks like an encoded word, and control characters, must not reach a reader raw.
    CHECK(mail::encode_subject("=?UTF-8?B?Zm9v?=").starts_with("=?UTF-8?B?"));
    CHECK(mail::encode_subject("tab\there").starts_with("=?UTF-8?B?"));
    CHECK(mail::encode_subject(std::string(100, 'a')).starts_with("=?UTF-8?B?"));
}

TEST_CASE("dates are RFC 5322 in UTC", "[unit][mail]") {
    using std::chrono::seconds;
    using std::chrono::system_clock;
    CHECK(mail::format_rfc5322_date(system_clock::time_point(seconds(1751373296))) ==
          "Tue, 01 Jul 2025 12:34:56 +0000");
    CHECK(mail::format_rfc5322_date(system_clock::time_point(seconds(1709175845))) ==
          "Thu, 29 Feb 2024 03:04:05 +0000");
}

TEST_CASE("line breaks become CRLF and dot-stuffing protects the end of DATA", "[unit][mail]") {
    CHECK(mail::normalize_crlf("a\nb\r\nc\rd\r\r\n") == "a\r\nb\r\nc\r\nd\r\n\r\n");
    CHECK(mail::dot_stuff(".a\r\nb\r\n..c\r\n.\r\n") == "..a\r\nb\r\n...c\r\n..\r\n.\r\n");
    CHECK(mail::dot_stuff("no final break") == "no final break\r\n.\r\n");
    CHECK(mail::dot_stuff("a.b\r\n") == "a.b\r\n.\r\n");
}

TEST_CASE("quoted-printable keeps lines short and encodes what relays would mangle", "[unit][mail]") {
    CHECK(mail::quoted_printable("caf\xc3\xa9 = ok \r\nnext\t") == "caf=C3=A9 =3D ok=20\r\nnext=09");
    CHECK(mail::quoted_printable("a b\r\n\r\n") == "a b\r\n\r\n");

    const std::string long_line(100, 'x');
    const std::string mixed = std::string(74, 'y') + "\xc3\xa9" + long_line;
    for (const auto& input : {long_line, mixed}) {
        const std::string qp = mail::quoted_printable(input);
        std::string unfolded;
        for (const auto& line : split_crlf(qp)) {
            CHECK(line.size() <= 76);
            unfolded += line.ends_with('=') ? line.substr(0, line.size() - 1) : line;
        }
        // Soft breaks never split an =XX escape.
        CHECK(unfolded == (input == long_line ? long_line : std::string(74, 'y') + "=C3=A9" + long_line));
    }
}

TEST_CASE("a formatted message has every header and CRLF line breaks only", "[unit][mail]") {
    mail::outgoing_headers h{"eelchat@chat.example", "Tue, 01 Jul 2025 12:34:56 +0000",
                             "<id.1@chat.example>"};
    mail::message m{"bob@example.org", "Hi", "line one\n.dot line\nno final break"};
    auto f = mail::format_message(m, h, true);
    CHECK(f.transfer_encoding == "7bit");
    const std::string& s = f.content;
    CHECK_THAT(s, Catch::StartsWith("Date: Tue, 01 Jul 2025 12:34:56 +0000\r\n"));
    CHECK_THAT(s, Catch::Contains("\r\nFrom: eelchat@chat.example\r\n"));
    CHECK_THAT(s, Catch::Contains("\r\nTo: bob@example.org\r\n"));
    CHECK_THAT(s, Catch::Contains("\r\nSubject: Hi\r\n"));
    CHECK_THAT(s, Catch::Contains("\r\nMessage-ID: <id.1@chat.example>\r\n"));
    CHECK_THAT(s, Catch::Contains("\r\nMIME-Version: 1.0\r\n"));
    CHECK_THAT(s, Catch::Contains("\r\nContent-Type: text/plain; charset=utf-8\r\n"));
    CHECK_THAT(s, Catch::Contains("\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"));
    CHECK_THAT(s, Catch::EndsWith("\r\n\r\nline one\r\n.dot line\r\nno final break\r\n"));
    for (std::size_t i = 0; i < s.size(); ++i)
        if (s[i] == '\n') REQUIRE((i > 0 && s[i - 1] == '\r'));

    mail::message utf8{"bob@example.org", "Hi", "Grüße"};
    CHECK(mail::format_message(utf8, h, true).transfer_encoding == "8bit");
    CHECK(mail::format_message(utf8, h, false).transfer_encoding == "quoted-printable");
    CHECK_THAT(mail::format_message(utf8, h, false).content, Catch::EndsWith("\r\n\r\nGr=C3=BC=C3=9Fe\r\n"));
    mail::message long_line{"bob@example.org", "Hi", std::string(1200, 'a')};
    CHECK(mail::format_message(long_line, h, true).transfer_encoding == "quoted-printable");
    mail::message nul{"bob@example.org", "Hi", std::string("a\0b", 3)};
    CHECK(mail::format_message(nul, h, true).transfer_encoding == "quoted-printable");
}

// --- against servers --------------------------------------------------------------------------------

namespace {

namespace fs = std::filesystem;

constexpr auto python = "/usr/bin/python3"; // Debian's, which has python3-aiosmtpd (pyenv's may not)
constexpr auto startup_limit = std::chrono::seconds(10);

fs::path server_script() {
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

const test_certificates& certificates() {
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

std::vector<json::object> events_named(const std::vector<json::object>& events, std::string_view name) {
    std::vector<json::object> out;
    for (const auto& e : events)
        if (e.at("event").as_string() == name) out.push_back(e);
    return out;
}

mail::smtp_config config_for(std::uint16_t port) {
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

send_result send_with(mail::smtp_config cfg, const mail::message& msg) {
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
std::uint16_t closed_port() {
    asio::io_context ctx;
    tcp::acceptor a(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

const mail::message welcome{
    "bob@example.org", "Willkommen, Jürgen \xe2\x9c\x93",
    "Hello Bob,\n.a line that starts with a dot\n..and two\n.\nGrüße \xf0\x9f\x90\x8d\n"};

} // namespace

TEST_CASE("a message arrives intact: envelope, decoded subject, body with dot lines and UTF-8",
          "[smtp][unit]") {
    smtp_test_server server;
    auto cfg = config_for(server.port());
    cfg.require_tls = false; // this server offers no STARTTLS
    auto r = send_with(cfg, welcome);
    CHECK_FALSE(r.ec);
    auto events = server.stop();
    auto messages = events_named(events, "message");
    REQUIRE(messages.size() == 1);
    const auto& got = messages[0];
    CHECK(got.at("mail_from").as_string() == "eelchat@chat.example");
    REQUIRE(got.at("rcpt_tos").as_array().size() == 1);
    CHECK(got.at("rcpt_tos").as_array()[0].as_string() == "bob@example.org");
    CHECK(got.at("subject").as_string() == welcome.subject);
    CHECK(got.at("body").as_string() == welcome.text);
    CHECK(got.at("tls").as_bool() == false);
    const auto& headers = got.at("headers").as_object();
    CHECK(headers.at("From").as_string() == "eelchat@chat.example");
    CHECK(headers.at("To").as_string() == "bob@example.org");
    CHECK(headers.at("MIME-Version").as_string() == "1.0");
    CHECK(headers.at("Content-Type").as_string() == "text/plain; charset=\"utf-8\"");
    CHECK(headers.at("Content-Transfer-Encoding").as_string() == "8bit");
    CHECK_THAT(std::string(headers.at("Message-ID").as_string()), Catch::EndsWith("@chat.example>"));
    CHECK(headers.contains("Date"));
    // The server announced 8BITMIME and the body is not ASCII, so the envelope says so.
    REQUIRE(got.at("mail_options").as_array().size() >= 1);
    CHECK(got.at("mail_options").as_array()[0].as_string() == "BODY=8BITMIME");

    REQUIRE(r.log.size() == 1);
    CHECK_THAT(r.log[0], Catch::Contains("level=info event=mail_sent to_domain=example.org"));
    CHECK_THAT(r.log[0], !Catch::Contains("bob@"));
    CHECK_THAT(r.log[0], !Catch::Contains("Hello"));
}

TEST_CASE("a body line longer than 998 bytes is sent quoted-printable and arrives intact", "[smtp][unit]") {
    smtp_test_server server;
    auto cfg = config_for(server.port());
    cfg.require_tls = false;
    std::string text;
    for (int i = 0; i < 400; ++i)
        text += "wörd ";
    text += "\n.dot\ntrailing blank \n";
    mail::message m{"bob@example.org", "long", text};
    auto r = send_with(cfg, m);
    CHECK_FALSE(r.ec);
    auto messages = events_named(server.stop(), "message");
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].at("headers").as_object().at("Content-Transfer-Encoding").as_string() ==
          "quoted-printable");
    CHECK(messages[0].at("body").as_string() == text);
}

TEST_CASE("STARTTLS with the test CA trusted, then AUTH PLAIN", "[smtp][unit]") {
    smtp_test_server server({.tls_cert = "server", .user = "mailer", .password = "correct horse"});
    auto cfg = config_for(server.port());
    cfg.ca_file = certificates().cert("server");
    cfg.user = "mailer";
    cfg.password = "correct horse";
    auto r = send_with(cfg, welcome);
    CHECK_FALSE(r.ec);
    auto events = server.stop();
    auto auths = events_named(events, "auth");
    REQUIRE(auths.size() == 1);
    CHECK(auths[0].at("mechanism").as_string() == "PLAIN");
    CHECK(auths[0].at("success").as_bool());
    auto messages = events_named(events, "message");
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].at("tls").as_bool());
    CHECK(messages[0].at("auth_login").as_string() == "mailer");
    CHECK(messages[0].at("body").as_string() == welcome.text);
    CHECK_THAT(r.all_log(), Catch::Contains("tls=true"));
    CHECK_THAT(r.all_log(), !Catch::Contains("correct horse"));
    CHECK_THAT(r.all_log(), !Catch::Contains(mail::base64_encode("correct horse")));
}

TEST_CASE("AUTH LOGIN is used when the server does not offer PLAIN", "[smtp][unit]") {
    smtp_test_server server({.tls_cert = "server", .user = "mailer", .password = "pw", .login_only = true});
    auto cfg = config_for(server.port());
    cfg.ca_file = certificates().cert("server");
    cfg.user = "mailer";
    cfg.password = "pw";
    auto r = send_with(cfg, welcome);
    CHECK_FALSE(r.ec);
    auto events = server.stop();
    auto auths = events_named(events, "auth");
    REQUIRE(auths.size() == 1);
    CHECK(auths[0].at("mechanism").as_string() == "LOGIN");
    CHECK(events_named(events, "message").size() == 1);
}

TEST_CASE("a certificate from an untrusted CA fails with tls_failed and sends nothing", "[smtp][unit]") {
    smtp_test_server server({.tls_cert = "server", .user = "mailer", .password = "pw"});
    auto cfg = config_for(server.port());
    cfg.user = "mailer";
    cfg.password = "pw";
    auto r = send_with(cfg, welcome);
    CHECK(r.ec == mail::errc::tls_failed);
    CHECK(server.stop().empty());
    CHECK_THAT(r.all_log(), Catch::Contains("level=warn event=mail_failed"));
    CHECK_THAT(r.all_log(), Catch::Contains("stage=tls_handshake"));
    CHECK_THAT(r.all_log(), Catch::Contains("certificate verify failed"));
}

TEST_CASE("a trusted certificate for another host name fails with tls_failed", "[smtp][unit]") {
    smtp_test_server server({.tls_cert = "other", .user = "mailer", .password = "pw"});
    auto cfg = config_for(server.port());
    cfg.ca_file = certificates().cert("other");
    cfg.user = "mailer";
    cfg.password = "pw";
    auto r = send_with(cfg, welcome);
    CHECK(r.ec == mail::errc::tls_failed);
    CHECK(server.stop().empty());
}

TEST_CASE("without STARTTLS and with TLS required, no credentials and no mail are sent", "[smtp][unit]") {
    // This server would take AUTH in the clear: the client must not offer it the password.
    smtp_test_server server({.user = "mailer", .password = "pw", .auth_without_tls = true});
    auto cfg = config_for(server.port());
    cfg.user = "mailer";
    cfg.password = "pw";
    auto r = send_with(cfg, welcome);
    CHECK(r.ec == mail::errc::tls_required);
    CHECK(server.stop().empty());
    CHECK_THAT(r.all_log(), Catch::Contains("does not offer STARTTLS"));
}

TEST_CASE("a wrong password fails with auth_failed before any mail is sent", "[smtp][unit]") {
    smtp_test_server server({.tls_cert = "server", .user = "mailer", .password = "right"});
    auto cfg = config_for(server.port());
    cfg.ca_file = certificates().cert("server");
    cfg.user = "mailer";
    cfg.password = "wrong";
    auto r = send_with(cfg, welcome);
    CHECK(r.ec == mail::errc::auth_failed);
    auto events = server.stop();
    auto auths = events_named(events, "auth");
    REQUIRE(auths.size() == 1);
    CHECK_FALSE(auths[0].at("success").as_bool());
    CHECK(events_named(events, "message").empty());
    CHECK_THAT(r.all_log(), Catch::Contains("stage=auth"));
    CHECK_THAT(r.all_log(), Catch::Contains("535"));
    CHECK_THAT(r.all_log(), !Catch::Contains("wrong"));
}

TEST_CASE("a refused recipient fails with rejected and the server's reply in the log", "[smtp][unit]") {
    smtp_test_server server({.reject = {"nobody@example.org"}});
    auto cfg = config_for(server.port());
    cfg.require_tls = false;
    mail::message m{"nobody@example.org", "hi", "text"};
    auto r = send_with(cfg, m);
    CHECK(r.ec == mail::errc::rejected);
    CHECK(events_named(server.stop(), "message").empty());
    REQUIRE(r.log.size() == 1);
    CHECK_THAT(r.log[0], Catch::Contains("level=warn event=mail_failed"));
    CHECK_THAT(r.log[0], Catch::Contains("stage=rcpt_to"));
    CHECK_THAT(r.log[0], Catch::Contains("550 5.1.1"));
    CHECK_THAT(r.log[0], Catch::Contains("Recipient address rejected"));
    // The server quoted the address; the log keeps the domain only.
    CHECK_THAT(r.log[0], Catch::Contains("<***@example.org>"));
    CHECK_THAT(r.log[0], !Catch::Contains("nobody"));
}

TEST_CASE("a host name is resolved and its addresses tried in turn, with SNI and name verification",
          "[smtp][unit]") {
    // "localhost" may resolve to ::1 first, where this server does not listen: the client moves on to
    // 127.0.0.1. The certificate names DNS:localhost, so host name verification passes.
    smtp_test_server server({.tls_cert = "server"});
    auto cfg = config_for(server.port());
    cfg.host = "localhost";
    cfg.ca_file = certificates().cert("server");
    auto r = send_with(cfg, welcome);
    CHECK_FALSE(r.ec);
    auto messages = events_named(server.stop(), "message");
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].at("tls").as_bool());
}

TEST_CASE("an unusable SMTP configuration is refused when the mailer is made", "[unit][mail]") {
    asio::io_context ctx;
    auto cfg = config_for(25);
    cfg.ca_file = "/nonexistent/ca.pem";
    CHECK_THROWS_AS(mail::make_smtp_mailer(ctx.get_executor(), cfg, logger::null()),
                    boost::system::system_error);
    cfg = config_for(25);
    cfg.from = "Eelchat <eelchat@chat.example>";
    CHECK_THROWS_AS(mail::make_smtp_mailer(ctx.get_executor(), cfg, logger::null()), std::invalid_argument);
    cfg = config_for(25);
    cfg.host.clear();
    CHECK_THROWS_AS(mail::make_smtp_mailer(ctx.get_executor(), cfg, logger::null()), std::invalid_argument);
}

TEST_CASE("a port with nothing listening fails fast with connect_failed", "[smtp][unit]") {
    auto r = send_with(config_for(closed_port()), welcome);
    CHECK(r.ec == mail::errc::connect_failed);
    CHECK(r.took < milliseconds(1000));
}

TEST_CASE("a server that accepts but never speaks fails with timeout at the deadline", "[smtp][unit]") {
    // The kernel completes the TCP handshake for the backlog; nobody ever accepts or writes.
    asio::io_context listen_ctx;
    tcp::acceptor silent(listen_ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    auto cfg = config_for(silent.local_endpoint().port());
    cfg.timeout = milliseconds(500);
    auto r = send_with(cfg, welcome);
    CHECK(r.ec == mail::errc::timeout);
    CHECK(r.took >= milliseconds(480));
    CHECK(r.took < milliseconds(1500));
    CHECK_THAT(r.all_log(), Catch::Contains("stage=greeting"));
}

TEST_CASE("cancelling a send ends it at once, leaving nothing behind", "[smtp][unit]") {
    using namespace asio::experimental::awaitable_operators;
    asio::io_context listen_ctx;
    tcp::acceptor silent(listen_ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    asio::io_context ctx;
    auto mailer = mail::make_smtp_mailer(ctx.get_executor(), config_for(silent.local_endpoint().port()),
                                         logger::null());
    const auto started = steady_clock::now();
    // run_async fails the test if the cancelled exchange left a timer or a socket operation pending.
    auto outcome = test::run_async(
        ctx, [&]() -> asio::awaitable<std::variant<boost::system::error_code, std::monostate>> {
            asio::steady_timer stop_waiting(ctx, milliseconds(100));
            auto send = mailer->send(welcome);
            auto r = co_await (std::move(send) || stop_waiting.async_wait(asio::use_awaitable));
            co_return r;
        }());
    CHECK(outcome.index() == 1);
    CHECK(steady_clock::now() - started < milliseconds(1000));
}

TEST_CASE("CR or LF in the subject fails with bad_message without connecting", "[smtp][unit]") {
    asio::io_context listen_ctx;
    tcp::acceptor listener(listen_ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    auto cfg = config_for(listener.local_endpoint().port());
    mail::message m{"bob@example.org", "Hi\r\nBcc: everyone@example.org", "text"};
    auto r = send_with(cfg, m);
    CHECK(r.ec == mail::errc::bad_message);
    m.subject = "Hi\nBcc: everyone@example.org";
    CHECK(send_with(cfg, m).ec == mail::errc::bad_message);
    // Nothing is waiting in the listen queue: the client never connected.
    listener.non_blocking(true);
    boost::system::error_code ec;
    tcp::socket s(listen_ctx);
    listener.accept(s, ec);
    CHECK(ec == asio::error::would_block);
}

namespace {

// A fake server that greets with `script`, then reads until the client hangs up.
asio::awaitable<void> scripted_server(tcp::acceptor& acceptor, std::string script) {
    tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
    co_await asio::async_write(s, asio::buffer(script), asio::use_awaitable);
    std::string sink;
    boost::system::error_code ec;
    co_await asio::async_read(s, asio::dynamic_buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
}

boost::system::error_code send_to_script(std::string script) {
    using namespace asio::experimental::awaitable_operators;
    asio::io_context ctx;
    tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    auto mailer = mail::make_smtp_mailer(ctx.get_executor(), config_for(acceptor.local_endpoint().port()),
                                         logger::null());
    return test::run_async(
        ctx,
        [&]() -> asio::awaitable<boost::system::error_code> {
            auto client = mailer->send(welcome);
            auto server = scripted_server(acceptor, std::move(script));
            auto ec = co_await (std::move(client) && std::move(server));
            co_return ec;
        }(),
        std::chrono::seconds(10));
}

} // namespace

TEST_CASE("a reply line longer than 4096 bytes is a protocol error", "[smtp][unit]") {
    CHECK(send_to_script("220 " + std::string(5000, 'x') + "\r\n") == mail::errc::protocol_error);
}

TEST_CASE("a reply with more than 100 lines is a protocol error", "[smtp][unit]") {
    std::string script;
    for (int i = 0; i < 100; ++i)
        script += "220-hello\r\n";
    script += "220 done\r\n";
    CHECK(send_to_script(script) == mail::errc::protocol_error);
}

TEST_CASE("a greeting that refuses service fails with rejected", "[smtp][unit]") {
    CHECK(send_to_script("554 5.3.2 no service for you\r\n") == mail::errc::rejected);
}
