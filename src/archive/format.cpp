#include "archive/format.hpp"

#include <boost/json.hpp>

#include <span>

namespace eelchat::archive {

namespace json = boost::json;

namespace {

bool is_uuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

enum class kind { string, uuid, boolean, strings, count };

// Empty, or the problem with field `name` of `o`.
std::string check_field(const json::object& o, std::string_view name, kind k, bool required) {
    const auto* v = o.if_contains(name);
    const std::string quoted = "\"" + std::string(name) + "\"";
    if (!v || v->is_null()) return required ? quoted + " is missing" : "";
    switch (k) {
    case kind::string:
        if (!v->is_string()) return quoted + " is not a string";
        break;
    case kind::uuid:
        if (!v->is_string() || !is_uuid(v->get_string())) return quoted + " is not a UUID";
        break;
    case kind::boolean:
        if (!v->is_bool()) return quoted + " is not true or false";
        break;
    case kind::count:
        if (!v->is_int64() || v->get_int64() < 0) return quoted + " is not a whole number of at least 0";
        break;
    case kind::strings:
        if (!v->is_array()) return quoted + " is not a list";
        for (const auto& e : v->get_array())
            if (!e.is_string()) return quoted + " holds something other than text";
        break;
    }
    return "";
}

struct field_rule {
    std::string_view name;
    kind k;
    bool required;
};

} // namespace

std::string_view part_file(db::archive_part part) {
    switch (part) {
    case db::archive_part::members:
        return "members.jsonl";
    case db::archive_part::channels:
        return "channels.jsonl";
    case db::archive_part::messages:
        return "messages.jsonl";
    case db::archive_part::reactions:
        return "reactions.jsonl";
    case db::archive_part::uploads:
        return "uploads.jsonl";
    }
    return "";
}

std::string manifest_json(const manifest& m) {
    json::object o;
    o["format"] = format_name;
    o["version"] = format_version;
    o["community"] = json::object{{"title", m.title}};
    o["exported_at"] = m.exported_at;
    o["counts"] = json::object{{"members", m.members},
                               {"channels", m.channels},
                               {"messages", m.messages},
                               {"reactions", m.reactions},
                               {"uploads", m.uploads}};
    return json::serialize(o) + "\n";
}

parsed_manifest parse_manifest(std::string_view text) {
    json::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) return {std::nullopt, "manifest.json is not a JSON object"};
    const auto& o = v.get_object();
    const auto* format = o.if_contains("format");
    if (!format || !format->is_string() || format->get_string() != format_name)
        return {std::nullopt, "manifest.json does not name the eelchat-export format"};
    const auto* version = o.if_contains("version");
    if (!version || !version->is_int64() || version->get_int64() != format_version)
        return {std::nullopt, "manifest.json has a format version this eelchat does not read (it reads 1)"};
    manifest m;
    const auto* community = o.if_contains("community");
    const json::value* title =
        community && community->is_object() ? community->get_object().if_contains("title") : nullptr;
    if (!title || !title->is_string() || title->get_string().empty())
        return {std::nullopt, "manifest.json has no community title"};
    m.title = std::string(title->get_string());
    if (const auto* at = o.if_contains("exported_at"); at && at->is_string())
        m.exported_at = std::string(at->get_string());
    if (const auto* counts = o.if_contains("counts"); counts && counts->is_object()) {
        const auto& c = counts->get_object();
        auto count = [&](std::string_view name) -> std::int64_t {
            const auto* n = c.if_contains(name);
            return n && n->is_int64() ? n->get_int64() : 0;
        };
        m.members = count("members");
        m.channels = count("channels");
        m.messages = count("messages");
        m.reactions = count("reactions");
        m.uploads = count("uploads");
    }
    return {std::move(m), ""};
}

std::string check_line(db::archive_part part, std::string_view line) {
    json::error_code ec;
    auto v = json::parse(line, ec);
    if (ec) return "not JSON";
    if (!v.is_object()) return "not a JSON object";
    const auto& o = v.get_object();
    static const field_rule members[] = {{"email", kind::string, true},
                                         {"display_name", kind::string, false},
                                         {"roles", kind::strings, false},
                                         {"joined_at", kind::string, false}};
    static const field_rule channels[] = {{"id", kind::uuid, true},
                                          {"title", kind::string, true},
                                          {"kind", kind::string, true},
                                          {"topic", kind::string, false},
                                          {"created_at", kind::string, false},
                                          {"members", kind::strings, false}};
    static const field_rule messages[] = {
        {"id", kind::uuid, true},           {"channel", kind::uuid, true},
        {"author", kind::string, false},    {"system", kind::boolean, false},
        {"text", kind::string, false},      {"html", kind::string, false},
        {"created_at", kind::string, true}, {"edited_at", kind::string, false},
        {"deleted", kind::boolean, false},  {"parent", kind::uuid, false},
        {"mentions", kind::strings, false}, {"mention_channel", kind::boolean, false}};
    static const field_rule reactions[] = {{"message", kind::uuid, true},
                                           {"emoji", kind::string, true},
                                           {"member", kind::string, true},
                                           {"created_at", kind::string, false}};
    static const field_rule uploads[] = {{"id", kind::uuid, true},
                                         {"message", kind::uuid, true},
                                         {"position", kind::count, false},
                                         {"name", kind::string, true},
                                         {"content_type", kind::string, true},
                                         {"size", kind::count, true},
                                         {"sha256", kind::string, true},
                                         {"inline_image", kind::boolean, false},
                                         {"width", kind::count, false},
                                         {"height", kind::count, false},
                                         {"has_thumbnail", kind::boolean, false},
                                         {"thumbnail_type", kind::string, false}};
    std::span<const field_rule> rules;
    switch (part) {
    case db::archive_part::members:
        rules = members;
        break;
    case db::archive_part::channels:
        rules = channels;
        break;
    case db::archive_part::messages:
        rules = messages;
        break;
    case db::archive_part::reactions:
        rules = reactions;
        break;
    case db::archive_part::uploads:
        rules = uploads;
        break;
    }
    for (const auto& r : rules)
        if (auto problem = check_field(o, r.name, r.k, r.required); !problem.empty()) return problem;
    if (part == db::archive_part::channels) {
        const auto k = o.at("kind").get_string();
        if (k != "public" && k != "private" && k != "direct")
            return "\"kind\" is not public, private or direct";
    }
    if (part == db::archive_part::messages) {
        const bool deleted = o.contains("deleted") && o.at("deleted").is_bool() && o.at("deleted").get_bool();
        if (!deleted && !(o.contains("text") && o.at("text").is_string())) return "\"text\" is missing";
    }
    if (part == db::archive_part::uploads) {
        const auto name = o.at("name").get_string();
        if (name.empty() || name.size() > 255) return "\"name\" is not 1 to 255 bytes";
        const auto sha = o.at("sha256").get_string();
        bool hex = sha.size() == 64;
        for (char c : sha)
            hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
        if (!hex) return "\"sha256\" is not 64 hex digits";
    }
    return "";
}

std::string file_entry(std::string_view upload_id, bool thumbnail) {
    return "files/" + std::string(upload_id) + (thumbnail ? ".thumbnail" : "");
}

std::optional<file_entry_name> parse_file_entry(std::string_view name) {
    if (!name.starts_with("files/")) return std::nullopt;
    name.remove_prefix(6);
    file_entry_name out;
    if (name.ends_with(".thumbnail")) {
        out.thumbnail = true;
        name.remove_suffix(10);
    }
    if (!is_uuid(name)) return std::nullopt;
    out.upload_id = std::string(name);
    for (auto& c : out.upload_id)
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string download_name(std::string_view title, std::string_view date) {
    std::string safe;
    for (char c : title) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '_';
        if (ok)
            safe += c;
        else if (!safe.empty() && safe.back() != '-')
            safe += '-';
        if (safe.size() >= 60) break;
    }
    while (!safe.empty() && safe.back() == '-')
        safe.pop_back();
    if (safe.empty()) safe = "community";
    return "eelchat-" + safe + "-" + std::string(date) + ".tar";
}

std::string utc_timestamp(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buf, n);
}

} // namespace eelchat::archive
