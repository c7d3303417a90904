#include "app/config.hpp"

#include "mail/mailer.hpp"

#include <boost/asio/ip/address.hpp>

#include <libpq-fe.h>
#include <unistd.h>

#include <charconv>
#include <memory>
#include <type_traits>

namespace eelchat {

// boost::system::result<T, E> needs to know how to throw E when value() is called on an error.
[[noreturn]] void throw_exception_from_error(const config_error& e, const boost::source_location&) {
    throw std::runtime_error(e.message);
}

namespace {

template <class Int> std::optional<Int> parse_int(std::string_view s, Int min, Int max) {
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < static_cast<long long>(min) ||
        v > static_cast<long long>(max))
        return std::nullopt;
    return static_cast<Int>(v);
}

bool valid_base_url(std::string_view u) {
    std::string_view rest;
    if (u.starts_with("http://"))
        rest = u.substr(7);
    else if (u.starts_with("https://"))
        rest = u.substr(8);
    else
        return false;
    if (rest.empty() || rest.front() == '/' || rest.front() == ':') return false;
    for (char c : rest)
        if (static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '<' || c == '>' || c == '\\')
            return false;
    return true;
}

bool is_loopback_host(std::string_view host) {
    return host == "localhost" || host == "127.0.0.1" || host == "[::1]";
}

// The issuer is where eelchat sends people to sign in and whose keys it trusts: https, so that nobody on
// the path can swap the keys, except on the machine itself (tests, a provider next to eelchat).
std::optional<std::string> issuer_problem(std::string_view issuer) {
    std::string_view rest;
    const bool https = issuer.starts_with("https://");
    if (https)
        rest = issuer.substr(8);
    else if (issuer.starts_with("http://"))
        rest = issuer.substr(7);
    else
        return "must be an https:// URL";
    if (!valid_base_url(issuer)) return "is not a valid URL";
    if (issuer.find_first_of("?#") != std::string_view::npos) return "must not have a query or fragment";
    std::string_view authority = rest.substr(0, rest.find('/'));
    std::string_view host = authority;
    if (host.starts_with("[")) {
        auto close = host.find(']');
        if (close == std::string_view::npos) return "is not a valid URL";
        host = host.substr(0, close + 1);
    } else {
        host = host.substr(0, host.find(':'));
    }
    if (host.empty()) return "is not a valid URL";
    if (!https && !is_loopback_host(host))
        return "must be an https:// URL (http:// only for localhost, 127.0.0.1 or [::1])";
    return std::nullopt;
}

// The limits, by environment variable. A value of 0 switches a count limit off.
struct limit_variable {
    const char* name;
    unsigned long min, max;
    std::function<void(unsigned long)> set;
};

std::vector<limit_variable> limit_variables(limits::settings& l) {
    auto count = [](auto& field) {
        return
            [&field](unsigned long v) { field = static_cast<std::remove_reference_t<decltype(field)>>(v); };
    };
    return {
        {"WS_MAX_PER_USER", 0, 100000, count(l.ws_per_user)},
        {"WS_MAX_PER_ADDRESS", 0, 1000000, count(l.ws_per_address)},
        {"WS_IDLE_TIMEOUT", 2, 3600, [&l](unsigned long v) { l.ws_idle_timeout = std::chrono::seconds(v); }},
        {"HTTP_MAX_CONNECTIONS_PER_ADDRESS", 0, 1000000, count(l.http_connections_per_address)},
        {"MESSAGES_PER_MINUTE_PER_USER", 0, 1000000, count(l.messages_per_minute_per_user)},
        {"MESSAGES_PER_MINUTE_PER_ADDRESS", 0, 1000000, count(l.messages_per_minute_per_address)},
        {"SIGNIN_EMAILS_PER_CLIENT", 1, 100000, count(l.signin_emails_per_client)},
        {"SIGNIN_EMAILS_PER_EMAIL_AND_CLIENT", 1, 100000, count(l.signin_emails_per_email_and_client)},
        {"SIGNIN_EMAILS_PER_EMAIL", 1, 100000, count(l.signin_emails_per_email)},
        {"SIGNIN_CODE_GUESSES_PER_DAY", 1, 100000, count(l.signin_code_guesses_per_day)},
        {"FEEDS_MAX_PER_CHANNEL", 1, 100000, count(l.feeds_per_channel)},
        {"FEEDS_MAX_PER_USER", 1, 100000, count(l.feeds_per_user)},
        {"REACTIONS_MAX_KINDS_PER_MESSAGE", 1, 1000, count(l.reaction_kinds_per_message)},
        {"DIRECT_MAX_PEOPLE", 2, 1000, count(l.direct_max_people)},
        {"PUSH_MAX_PER_USER", 1, 1000, count(l.push_subscriptions_per_user)},
        {"SEARCH_MAX_QUERY", 1, 10000, count(l.search_max_query)},
        {"SEARCH_PAGE_SIZE", 1, 200, count(l.search_page_size)},
        {"UPLOAD_MAX_MB", 1, 1024 * 1024, count(l.upload_max_mb)},
        {"UPLOAD_QUOTA_MB", 0, 1024 * 1024 * 1024, count(l.upload_quota_mb)},
        {"UPLOAD_MAX_PER_MESSAGE", 1, 100, count(l.upload_max_per_message)},
        {"PREVIEW_MAX_MB", 0, 1024, count(l.preview_max_mb)},
    };
}

} // namespace

std::optional<metrics_address> parse_metrics_address(std::string_view v) {
    std::string_view host, port;
    if (v.starts_with("[")) {
        const auto close = v.find("]:");
        if (close == std::string_view::npos) return std::nullopt;
        host = v.substr(1, close - 1);
        port = v.substr(close + 2);
    } else {
        const auto colon = v.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = v.substr(0, colon);
        port = v.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) return std::nullopt; // IPv6 needs brackets
    }
    auto p = parse_int<std::uint16_t>(port, 0, 65535);
    if (!p || host.empty()) return std::nullopt;
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(std::string(host), ec);
    if (ec) return std::nullopt;
    return metrics_address{address.to_string(), *p};
}

boost::system::result<config, config_error> parse_config(const env_lookup& getenv, unsigned cores) {
    config c;
    auto get = [&](const char* name) -> std::optional<std::string_view> {
        const char* v = getenv(name);
        if (!v || !*v) return std::nullopt;
        return std::string_view(v);
    };
    auto bad = [](std::string msg) { return config_error{std::move(msg)}; };

    if (auto v = get("DATABASE_URL"))
        c.database_url = std::string(*v);
    else
        return bad("DATABASE_URL is not set: give a PostgreSQL connection string or URL "
                   "(scripts/run starts a private PostgreSQL and sets it for you)");
    if (describe_conninfo(c.database_url).empty())
        return bad("DATABASE_URL is not a valid libpq connection string or postgres:// URL");

    if (auto v = get("HOST")) c.host = std::string(*v);
    if (auto v = get("PORT")) {
        auto p = parse_int<std::uint16_t>(*v, 0, 65535);
        if (!p) return bad("PORT must be a number from 0 to 65535, got \"" + std::string(*v) + "\"");
        c.port = *p;
    }
    if (auto v = get("BASE_URL")) {
        std::string u(*v);
        while (u.size() > 1 && u.back() == '/')
            u.pop_back();
        if (!valid_base_url(u))
            return bad("BASE_URL must be an absolute http:// or https:// URL, got \"" + std::string(*v) +
                       "\"");
        c.base_url = std::move(u);
    } else {
        c.base_url = "http://localhost:" + std::to_string(c.port);
    }
    c.threads = cores == 0 ? 1 : cores;
    if (auto v = get("THREADS")) {
        auto t = parse_int<unsigned>(*v, 1, 256);
        if (!t) return bad("THREADS must be a number from 1 to 256, got \"" + std::string(*v) + "\"");
        c.threads = *t;
    }
    if (auto v = get("LOG_LEVEL")) {
        auto l = parse_log_level(*v);
        if (!l) return bad("LOG_LEVEL must be debug, info, warn or error, got \"" + std::string(*v) + "\"");
        c.log_min = *l;
    }
    if (auto v = get("LOG_FORMAT")) {
        auto f = parse_log_format(*v);
        if (!f) return bad("LOG_FORMAT must be text or json, got \"" + std::string(*v) + "\"");
        c.log_style = *f;
    }
    c.assets_dir = EELCHAT_ASSETS_DIR;
    if (auto v = get("ASSETS_DIR")) c.assets_dir = std::string(*v);
    if (auto v = get("UPLOADS_DIR"); v && !v->empty()) {
        if (!v->starts_with("/"))
            return bad("UPLOADS_DIR must be an absolute path, got \"" + std::string(*v) + "\"");
        c.uploads_dir = std::string(*v);
    }
    if (auto v = get("DB_POOL_SIZE")) {
        auto n = parse_int<std::size_t>(*v, 1, 64);
        if (!n) return bad("DB_POOL_SIZE must be a number from 1 to 64, got \"" + std::string(*v) + "\"");
        c.db_pool_size = *n;
    }
    if (auto v = get("DB_TIMEOUT_MS")) {
        auto n = parse_int<long>(*v, 100, 600000);
        if (!n)
            return bad("DB_TIMEOUT_MS must be a number from 100 to 600000, got \"" + std::string(*v) + "\"");
        c.db_timeout = std::chrono::milliseconds(*n);
    }
    if (auto v = get("SHUTDOWN_GRACE_MS")) {
        auto n = parse_int<long>(*v, 0, 600000);
        if (!n)
            return bad("SHUTDOWN_GRACE_MS must be a number from 0 to 600000, got \"" + std::string(*v) +
                       "\"");
        c.shutdown_grace = std::chrono::milliseconds(*n);
    }
    if (auto v = get("SHUTDOWN_DRAIN_MS")) {
        auto n = parse_int<long>(*v, 0, 600000);
        if (!n)
            return bad("SHUTDOWN_DRAIN_MS must be a number from 0 to 600000, got \"" + std::string(*v) +
                       "\"");
        c.shutdown_drain = std::chrono::milliseconds(*n);
    }
    if (auto v = get("TRUST_PROXY")) {
        if (*v != "0" && *v != "1") return bad("TRUST_PROXY must be 0 or 1, got \"" + std::string(*v) + "\"");
        c.trust_proxy = *v == "1";
    }
    if (auto v = get("FEEDS_ALLOW_PRIVATE")) {
        if (*v != "0" && *v != "1")
            return bad("FEEDS_ALLOW_PRIVATE must be 0 or 1, got \"" + std::string(*v) + "\"");
        c.feeds_allow_private = *v == "1";
    }
    if (auto v = get("PUSH_ALLOW_PRIVATE")) {
        if (*v != "0" && *v != "1")
            return bad("PUSH_ALLOW_PRIVATE must be 0 or 1, got \"" + std::string(*v) + "\"");
        c.push_allow_private = *v == "1";
    }
    if (auto v = get("PUSH_SUBJECT")) {
        if (!v->starts_with("mailto:") && !v->starts_with("https://"))
            return bad("PUSH_SUBJECT must start with mailto: or https://, got \"" + std::string(*v) + "\"");
        c.push_subject = std::string(*v);
    }
    if (auto v = get("NOTIFY_EMAIL_AFTER_MIN")) {
        auto n = parse_int<long>(*v, 0, 10080);
        if (!n)
            return bad("NOTIFY_EMAIL_AFTER_MIN must be a number of minutes from 0 to 10080, got \"" +
                       std::string(*v) + "\"");
        c.notify_email_after = std::chrono::minutes(*n);
    }
    if (auto v = get("METRICS_ADDR")) {
        auto m = parse_metrics_address(*v);
        if (!m)
            return bad("METRICS_ADDR must be host:port with an IP address for host (like 127.0.0.1:9464 or "
                       "[::1]:9464), got \"" +
                       std::string(*v) + "\"");
        c.metrics = std::move(*m);
    }
    {
        auto issuer = get("OIDC_ISSUER");
        auto client_id = get("OIDC_CLIENT_ID");
        auto client_secret = get("OIDC_CLIENT_SECRET");
        if (issuer || client_id || client_secret) {
            // All three or none: a half-configured provider would fail only when someone tries to sign in.
            for (auto [name, value] :
                 {std::pair{"OIDC_ISSUER", issuer}, std::pair{"OIDC_CLIENT_ID", client_id},
                  std::pair{"OIDC_CLIENT_SECRET", client_secret}})
                if (!value)
                    return bad(std::string(name) +
                               " is not set: single sign-on needs OIDC_ISSUER, OIDC_CLIENT_ID and "
                               "OIDC_CLIENT_SECRET together");
            if (auto problem = issuer_problem(*issuer))
                return bad("OIDC_ISSUER " + *problem + ", got \"" + std::string(*issuer) + "\"");
            oidc_settings o;
            o.issuer = std::string(*issuer);
            o.client_id = std::string(*client_id);
            o.client_secret = std::string(*client_secret);
            if (auto v = get("OIDC_NAME")) {
                if (v->size() > 80 || v->find_first_of("\r\n") != std::string_view::npos)
                    return bad("OIDC_NAME must be one line of at most 80 characters");
                o.name = std::string(*v);
            }
            c.oidc = std::move(o);
        } else if (get("OIDC_NAME")) {
            return bad("OIDC_NAME is set but OIDC_ISSUER is not: single sign-on needs OIDC_ISSUER, "
                       "OIDC_CLIENT_ID and OIDC_CLIENT_SECRET");
        }
    }
    if (auto v = get("EMAIL_SIGNIN")) {
        if (*v != "on" && *v != "off")
            return bad("EMAIL_SIGNIN must be on or off, got \"" + std::string(*v) + "\"");
        c.email_signin = *v == "on";
        if (!c.email_signin && !c.oidc)
            return bad("EMAIL_SIGNIN=off needs single sign-on (OIDC_ISSUER, OIDC_CLIENT_ID, "
                       "OIDC_CLIENT_SECRET): otherwise nobody could sign in");
    }
    for (const auto& l : limit_variables(c.limits)) {
        auto v = get(l.name);
        if (!v) continue;
        auto n = parse_int<unsigned long>(*v, l.min, l.max);
        if (!n)
            return bad(std::string(l.name) + " must be a number from " + std::to_string(l.min) + " to " +
                       std::to_string(l.max) + ", got \"" + std::string(*v) + "\"");
        l.set(*n);
    }
    if (auto host = get("SMTP_HOST")) {
        smtp_settings m;
        m.host = std::string(*host);
        if (auto v = get("SMTP_PORT")) {
            auto p = parse_int<std::uint16_t>(*v, 1, 65535);
            if (!p) return bad("SMTP_PORT must be a number from 1 to 65535, got \"" + std::string(*v) + "\"");
            m.port = *p;
        }
        if (auto v = get("SMTP_USER")) m.user = std::string(*v);
        if (auto v = get("SMTP_PASSWORD")) m.password = std::string(*v);
        if (!m.user.empty() && m.password.empty()) return bad("SMTP_USER is set but SMTP_PASSWORD is not");
        auto from = get("MAIL_FROM");
        if (!from || !mail::is_valid_address(*from))
            return bad("MAIL_FROM must be the sender's email address (like eelchat@example.org) when "
                       "SMTP_HOST is set");
        m.from = std::string(*from);
        if (auto v = get("SMTP_CA_FILE")) {
            if (::access(std::string(*v).c_str(), R_OK) != 0)
                return bad("SMTP_CA_FILE \"" + std::string(*v) + "\" cannot be read");
            m.ca_file = std::string(*v);
        }
        if (auto v = get("SMTP_TLS")) {
            if (*v != "on" && *v != "off")
                return bad("SMTP_TLS must be on or off, got \"" + std::string(*v) + "\"");
            m.require_tls = *v == "on";
        }
        if (!m.require_tls && !m.user.empty())
            return bad("SMTP_USER is set with SMTP_TLS=off: eelchat sends credentials only over TLS (use a "
                       "relay that offers STARTTLS, or drop SMTP_USER for a trusted relay without AUTH)");
        c.smtp = std::move(m);
    }
    if (c.push_subject.empty()) c.push_subject = c.smtp ? "mailto:" + c.smtp->from : c.base_url;
    return c;
}

std::vector<std::pair<std::string, std::string>> describe_conninfo(const std::string& conninfo) {
    char* err = nullptr;
    std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> opts(PQconninfoParse(conninfo.c_str(), &err),
                                                                      &PQconninfoFree);
    if (err) PQfreemem(err);
    std::vector<std::pair<std::string, std::string>> out;
    if (!opts) return out;
    for (auto* o = opts.get(); o->keyword; ++o) {
        std::string_view k = o->keyword;
        if (!o->val || !*o->val) continue;
        if (k == "host" || k == "hostaddr" || k == "port" || k == "dbname" || k == "user" || k == "sslmode")
            out.emplace_back(std::string(k), o->val);
    }
    if (out.empty()) out.emplace_back("dbname", "(libpq defaults)");
    return out;
}

db::pool_config database_pool(const config& cfg, std::string application_name, std::size_t max_size) {
    db::pool_config pc;
    pc.conninfo = cfg.database_url;
    pc.max_size = max_size;
    pc.call_timeout = cfg.db_timeout;
    pc.connect_timeout = cfg.db_timeout;
    pc.application_name = std::move(application_name);
    return pc;
}

} // namespace eelchat
