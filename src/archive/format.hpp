// The export archive's format (docs/export-format.md), as pure functions: the manifest, the check of
// each JSON line an import reads, and the download's file name.
#pragma once

#include "db/archive_store.hpp"

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace eelchat::archive {

inline constexpr std::string_view format_name = "eelchat-export";
inline constexpr int format_version = 1;
// A JSON line longer than this is refused (a message is at most a few kilobytes of text and html).
inline constexpr std::size_t max_line_bytes = 1 << 20;

// "members.jsonl", ...
std::string_view part_file(db::archive_part part);

struct manifest {
    std::string title;
    std::string exported_at; // RFC 3339, UTC
    std::int64_t members = 0, channels = 0, messages = 0, reactions = 0, uploads = 0;
};

std::string manifest_json(const manifest& m);
// The manifest, or a one-line reason it is not one this version reads.
struct parsed_manifest {
    std::optional<manifest> value;
    std::string error;
};
parsed_manifest parse_manifest(std::string_view text);

// The tar entry of an upload's bytes, or of its thumbnail: "files/<upload id>", "files/<id>.thumbnail".
std::string file_entry(std::string_view upload_id, bool thumbnail);
// The upload id and whether it is the thumbnail, of a files/ entry name; nullopt for another name.
struct file_entry_name {
    std::string upload_id;
    bool thumbnail = false;
};
std::optional<file_entry_name> parse_file_entry(std::string_view name);

// Empty when `line` is a valid line of `part`; else what is wrong with it ("not JSON", "\"id\" is not
// a UUID", ...).
std::string check_line(db::archive_part part, std::string_view line);

// eelchat-<title>-<YYYY-MM-DD>.tar, the title reduced to letters, digits, '-' and '_' so that the name
// is safe in a Content-Disposition header and on any file system.
std::string download_name(std::string_view title, std::string_view date);

// RFC 3339 in UTC ("2026-12-03T14:26:34Z"), and its date part.
std::string utc_timestamp(std::time_t t);

} // namespace eelchat::archive
