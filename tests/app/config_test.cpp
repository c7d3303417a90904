#include "app/config.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace eelchat;

namespace {
auto env(std::map<std::string, std::string> m) {
    return [m = std::move(m)](const char* name) -> const char* {
        auto it = m.find(name);
        return it == m.end() ? nullptr : it->second.c_str();
    };
}
} // namespace

TEST_CASE("config defaults follow the README", "[unit][config]") {
    auto c = parse_config(env({{"DATABASE_URL", "postgresql://u:secret@db.example:5433/chat"}}), 6);
    REQUIRE(c.has_value());
    CHECK(c->host == "127.0.0.1");
    CHECK(c->port == 8080);
    CHECK(c->base_url == "http://localhost:8080");
    CHECK(c->threads == 6);
    CHECK(c->log_min == log_level::info);
    CHECK(c->log_style == log_format::text);
    CHECK(c->shutdown_drain == std::chrono::milliseconds(0));
    CHECK_FALSE(c->feeds_allow_private);
    auto p = parse_config(env({{"DATABASE_URL", "dbname=x"},
                               {"FEEDS_ALLOW_PRIVATE", "1"},
                               {"LOG_FORMAT", "json"},
                               {"SHUTDOWN_DRAIN_MS", "5000"}}),
                          1);
    REQUIRE(p.has_value());
    CHECK(p->feeds_allow_private);
    CHECK(p->log_style == log_format::json);
    CHECK(p->shutdown_drain == std::chrono::milliseconds(5000));
}

TEST_CASE("BASE_URL defaults to the configured port and loses trailing slashes", "[unit][config]") {
    auto c = parse_config(env({{"DATABASE_URL", "dbname=x"}, {"PORT", "9090"}}), 1);
    REQUIRE(c.has_value());
    CHECK(c->base_url == "http://localhost:9090");
    auto d = parse_config(env({{"DATABASE_URL", "dbname=x"}, {"BASE_URL", "https://chat.example.org/"}}), 1);
    REQUIRE(d.has_value());
    CHECK(d->base_url == "https://chat.example.org");
}

TEST_CASE("bad settings are refused with a message naming the variable", "[unit][config]") {
    struct bad_case {
        std::map<std::string, std::string> vars;
        std::string mentions;
    };
    std::vector<bad_case> cases = {
        {{}, "DATABASE_URL"},
        {{{"DATABASE_URL", "dbname=x"}, {"PORT", "eighty"}}, "PORT"},
        {{{"DATABASE_URL", "dbname=x"}, {"PORT", "-1"}}, "PORT"},
        {{{"DATABASE_URL", "dbname=x"}, {"PORT", "65536"}}, "PORT"},
        {{{"DATABASE_URL", "dbname=x"}, {"THREADS", "0"}}, "THREADS"},
        {{{"DATABASE_URL", "dbname=x"}, {"BASE_URL", "ftp://x"}}, "BASE_URL"},
        {{{"DATABASE_URL", "dbname=x"}, {"BASE_URL", "http://"}}, "BASE_URL"},
        {{{"DATABASE_URL", "dbname=x"}, {"BASE_URL", "http://a b"}}, "BASE_URL"},
        {{{"DATABASE_URL", "dbname=x"}, {"LOG_LEVEL", "chatty"}}, "LOG_LEVEL"},
        {{{"DATABASE_URL", "dbname=x"}, {"LOG_FORMAT", "yaml"}}, "LOG_FORMAT"},
        {{{"DATABASE_URL", "dbname=x"}, {"SHUTDOWN_DRAIN_MS", "soon"}}, "SHUTDOWN_DRAIN_MS"},
        {{{"DATABASE_URL", "dbname=x"}, {"DB_POOL_SIZE", "0"}}, "DB_POOL_SIZE"},
        {{{"DATABASE_URL", "host=a port"}}, "DATABASE_URL"},
        {{{"DATABASE_URL", "dbname=x"}, {"FEEDS_ALLOW_PRIVATE", "yes"}}, "FEEDS_ALLOW_PRIVATE"},
        {{{"DATABASE_URL", "dbname=x"}, {"WS_MAX_PER_USER", "many"}}, "WS_MAX_PER_USER"},
        {{{"DATABASE_URL", "dbname=x"}, {"METRICS_ADDR", "9464"}}, "METRICS_ADDR"},
        {{{"DATABASE_URL", "dbname=x"}, {"METRICS_ADDR", "localhost:9464"}}, "METRICS_ADDR"},
        {{{"DATABASE_URL", "dbname=x"}, {"METRICS_ADDR", "127.0.0.1:99999"}}, "METRICS_ADDR"},
        {{{"DATABASE_URL", "dbname=x"}, {"METRICS_ADDR", "::1:9464"}}, "METRICS_ADDR"},
        {{{"DATABASE_URL", "dbname=x"}, {"WS_IDLE_TIMEOUT", "1"}}, "WS_IDLE_TIMEOUT"},
        {{{"DATABASE_URL", "dbname=x"}, {"MESSAGES_PER_MINUTE_PER_USER", "-5"}},
         "MESSAGES_PER_MINUTE_PER_USER"},
        {{{"DATABASE_URL", "dbname=x"}, {"SIGNIN_CODE_GUESSES_PER_DAY", "0"}}, "SIGNIN_CODE_GUESSES_PER_DAY"},
        // The password would cross the network in cleartext.
        {{{"DATABASE_URL", "dbname=x"},
          {"SMTP_HOST", "relay"},
          {"MAIL_FROM", "eel@example.org"},
          {"SMTP_USER", "eel"},
          {"SMTP_PASSWORD", "hunter2"},
          {"SMTP_TLS", "off"}},
         "SMTP_TLS=off"},
    };
    for (const auto& bc : cases) {
        auto c = parse_config(env(bc.vars), 2);
        REQUIRE_FALSE(c.has_value());
        CHECK_THAT(c.error().message, Catch::Contains(bc.mentions));
        CHECK(c.error().message.find('\n') == std::string::npos);
    }
}

TEST_CASE("every limit has a default and an environment variable", "[unit][config]") {
    auto c = parse_config(env({{"DATABASE_URL", "dbname=x"}}), 1);
    REQUIRE(c.has_value());
    CHECK(c->limits.ws_per_user == 40);
    CHECK(c->limits.messages_per_minute_per_user == 60);
    auto d = parse_config(env({{"DATABASE_URL", "dbname=x"},
                               {"WS_MAX_PER_USER", "3"},
                               {"WS_IDLE_TIMEOUT", "10"},
                               {"MESSAGES_PER_MINUTE_PER_USER", "0"},
                               {"FEEDS_MAX_PER_CHANNEL", "2"}}),
                          1);
    REQUIRE(d.has_value());
    CHECK(d->limits.ws_per_user == 3);
    CHECK(d->limits.ws_idle_timeout == std::chrono::seconds(10));
    CHECK(d->limits.messages_per_minute_per_user == 0);
    CHECK(d->limits.feeds_per_channel == 2);
}

TEST_CASE("the logged description of DATABASE_URL never contains the password", "[unit][config]") {
    for (std::string url :
         {"postgresql://eel:hunter2@db:5432/chat", "host=db user=eel password=hunter2 dbname=chat"}) {
        auto parts = describe_conninfo(url);
        REQUIRE_FALSE(parts.empty());
        std::string joined;
        for (auto& [k, v] : parts)
            joined += k + "=" + v + " ";
        CHECK_THAT(joined, Catch::Contains("host=db"));
        CHECK_THAT(joined, Catch::Contains("dbname=chat"));
        CHECK(joined.find("hunter2") == std::string::npos);
    }
}

TEST_CASE("METRICS_ADDR is off by default and takes an IPv4 or bracketed IPv6 host with a port",
          "[unit][config]") {
    auto off = parse_config(env({{"DATABASE_URL", "dbname=x"}}), 1);
    REQUIRE(off.has_value());
    CHECK_FALSE(off->metrics.has_value());
    auto v4 = parse_config(env({{"DATABASE_URL", "dbname=x"}, {"METRICS_ADDR", "127.0.0.1:9464"}}), 1);
    REQUIRE(v4.has_value());
    REQUIRE(v4->metrics.has_value());
    CHECK(v4->metrics->host == "127.0.0.1");
    CHECK(v4->metrics->port == 9464);
    auto v6 = parse_metrics_address("[::1]:0");
    REQUIRE(v6.has_value());
    CHECK(v6->host == "::1");
    CHECK(v6->port == 0);
    CHECK_FALSE(parse_metrics_address("[::1]"));
    CHECK_FALSE(parse_metrics_address(":9464"));
    CHECK_FALSE(parse_metrics_address("127.0.0.1:"));
}

TEST_CASE("single sign-on needs issuer, client id and secret together", "[unit][config]") {
    const std::map<std::string, std::string> full = {{"DATABASE_URL", "dbname=x"},
                                                     {"OIDC_ISSUER", "https://id.example.org/realms/a"},
                                                     {"OIDC_CLIENT_ID", "eelchat"},
                                                     {"OIDC_CLIENT_SECRET", "s3cret"}};
    auto c = parse_config(env(full), 1);
    REQUIRE(c.has_value());
    REQUIRE(c->oidc);
    CHECK(c->oidc->issuer == "https://id.example.org/realms/a");
    CHECK(c->oidc->client_id == "eelchat");
    CHECK(c->oidc->client_secret == "s3cret");
    CHECK(c->oidc->name == "single sign-on");
    CHECK(c->email_signin);

    auto none = parse_config(env({{"DATABASE_URL", "dbname=x"}}), 1);
    REQUIRE(none.has_value());
    CHECK_FALSE(none->oidc);

    for (const char* missing : {"OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"}) {
        auto partial = full;
        partial.erase(missing);
        auto p = parse_config(env(partial), 1);
        REQUIRE_FALSE(p.has_value());
        CHECK(p.error().message.starts_with(std::string(missing) + " is not set"));
    }

    auto named = full;
    named["OIDC_NAME"] = "Acme ID";
    auto n = parse_config(env(named), 1);
    REQUIRE(n.has_value());
    CHECK(n->oidc->name == "Acme ID");
}

TEST_CASE("the issuer must be https except on a loopback host", "[unit][config]") {
    auto with_issuer = [](std::string issuer) {
        return parse_config(env({{"DATABASE_URL", "dbname=x"},
                                 {"OIDC_ISSUER", issuer},
                                 {"OIDC_CLIENT_ID", "c"},
                                 {"OIDC_CLIENT_SECRET", "s"}}),
                            1);
    };
    CHECK(with_issuer("http://localhost:9000").has_value());
    CHECK(with_issuer("http://127.0.0.1:9000/oidc").has_value());
    CHECK(with_issuer("http://[::1]:9000").has_value());
    CHECK(with_issuer("https://login.example.org").has_value());
    for (const char* bad : {"http://login.example.org", "http://localhost.example.org", "ftp://x",
                            "login.example.org", "https://", "https://a.example/?x=1", "http://127.0.0.2"}) {
        auto r = with_issuer(bad);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().message.starts_with("OIDC_ISSUER "));
    }
}

TEST_CASE("EMAIL_SIGNIN=off is allowed only with single sign-on", "[unit][config]") {
    auto off = parse_config(env({{"DATABASE_URL", "dbname=x"}, {"EMAIL_SIGNIN", "off"}}), 1);
    REQUIRE_FALSE(off.has_value());
    CHECK(off.error().message.starts_with("EMAIL_SIGNIN=off needs single sign-on"));
    auto bad = parse_config(env({{"DATABASE_URL", "dbname=x"}, {"EMAIL_SIGNIN", "no"}}), 1);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message.starts_with("EMAIL_SIGNIN must be on or off"));
    auto sso_only = parse_config(env({{"DATABASE_URL", "dbname=x"},
                                      {"EMAIL_SIGNIN", "off"},
                                      {"OIDC_ISSUER", "https://id.example.org"},
                                      {"OIDC_CLIENT_ID", "c"},
                                      {"OIDC_CLIENT_SECRET", "s"}}),
                                 1);
    REQUIRE(sso_only.has_value());
    CHECK_FALSE(sso_only->email_signin);
}
