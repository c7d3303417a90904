// The SQL of a community's export and import (docs/export-format.md). Export reads pages of JSON lines
// that PostgreSQL builds, inside one read-only snapshot; import stages the archive's lines in temporary
// tables of the caller's transaction and then creates the community from them with a few set-based
// statements, so the application never holds more than a page of rows.
#pragma once

#include "db/connection.hpp"
#include "db/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace eelchat::db {

// The JSON Lines files of an archive, in the order an archive holds them.
enum class archive_part { members, channels, messages, reactions, uploads };

struct archive_community {
    std::string title;
    std::int64_t members = 0, channels = 0, messages = 0, reactions = 0, uploads = 0;
};

// One page of an export: the lines, and the key to pass as `after` for the next page (empty: the last).
struct archive_page {
    std::vector<std::string> lines;
    std::vector<std::string> next_after;
};

// Starts the read-only repeatable-read transaction an export reads in; nullopt: no such community.
// Completes with a query's errors (see connection::query).
boost::asio::awaitable<result<std::optional<archive_community>>>
begin_export(connection& conn, std::string community_id, std::chrono::steady_clock::time_point deadline);

// Up to `limit` lines of `part`, after the key of the previous page (empty: from the start). `scope_id`:
// the community for members and channels, a channel for messages and reactions (in the channel's order).
boost::asio::awaitable<result<archive_page>> export_page(connection& conn, archive_part part,
                                                         std::string scope_id, std::vector<std::string> after,
                                                         int limit,
                                                         std::chrono::steady_clock::time_point deadline);

// Up to `limit` channel ids of the community after `after`, in id order (the order of channels.jsonl).
boost::asio::awaitable<result<std::vector<std::string>>>
export_channel_ids(connection& conn, std::string community_id, std::optional<std::string> after, int limit,
                   std::chrono::steady_clock::time_point deadline);

// The blobs behind one page of uploads.jsonl lines of a channel (same order, same `after` keys as
// export_page's uploads pages), for the files/ entries written after the JSON Lines.
struct archive_file {
    std::string upload_id;
    std::string blob_id;
    std::optional<std::string> thumbnail_blob_id;
};
struct archive_files_page {
    std::vector<archive_file> files;
    std::vector<std::string> next_after; // empty: the last page
};
boost::asio::awaitable<result<archive_files_page>>
export_files_page(connection& conn, std::string channel_id, std::vector<std::string> after, int limit,
                  std::chrono::steady_clock::time_point deadline);

// BEGIN, and the temporary staging tables (dropped at commit or rollback).
boost::asio::awaitable<result<void>> begin_import(connection& conn,
                                                  std::chrono::steady_clock::time_point deadline);

// Stages lines (each one JSON object, already checked by archive::check_line) of `part`.
boost::asio::awaitable<result<void>> stage_lines(connection& conn, archive_part part,
                                                 const std::vector<std::string>& lines,
                                                 std::chrono::steady_clock::time_point deadline);

// What the staged line of upload `upload_id` expects of its files/ entry (the thumbnail's when
// `thumbnail`): nullopt when no line names it, or names no thumbnail, or the entry came already.
struct expected_file {
    std::int64_t size = -1; // -1: not stated (a thumbnail)
    std::string sha256;     // empty: not stated
};
boost::asio::awaitable<result<std::optional<expected_file>>>
expect_file(connection& conn, std::string upload_id, bool thumbnail,
            std::chrono::steady_clock::time_point deadline);
// Records that the file (or thumbnail) of staged upload `upload_id` is now blob `blob_id`.
boost::asio::awaitable<result<void>> stage_file(connection& conn, std::string upload_id, bool thumbnail,
                                                std::string blob_id,
                                                std::chrono::steady_clock::time_point deadline);

// The first reference the staged lines make to something the archive does not hold, as a sentence
// ("messages.jsonl: message X replies to an unknown message Y"); nullopt when everything resolves.
boost::asio::awaitable<result<std::optional<std::string>>>
check_staged(connection& conn, std::chrono::steady_clock::time_point deadline);

struct import_counts {
    std::string community_id;
    std::int64_t members = 0, new_users = 0, channels = 0, messages = 0, reactions = 0, uploads = 0;
};

// Creates the community from the staged lines (still inside the transaction; the caller commits).
boost::asio::awaitable<result<import_counts>>
create_from_staged(connection& conn, std::string title, std::chrono::steady_clock::time_point deadline);

} // namespace eelchat::db
