// Writing a community to an archive and creating a community from one (docs/export-format.md). Both
// stream: an export reads pages of rows into the file, an import stages the archive line by line in its
// transaction, so memory stays bounded by a page whatever the community's size.
#pragma once

#include "archive/file_store.hpp"
#include "archive/format.hpp"
#include "db/archive_store.hpp"
#include "db/connection.hpp"
#include "db/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

namespace eelchat::archive {

struct export_outcome {
    std::optional<manifest> written; // nullopt: nothing written, see error
    std::string error;               // empty with nothing written: no such community
};

// Writes community `community_id` to `out` (a seekable file) from one snapshot, its uploaded files' bytes
// read from `files` piece by piece. `exported_at` goes into the manifest. Completes with what was written, or
// why not (a database error, a failed write); never throws for those. Leaves no transaction open on `conn`.
boost::asio::awaitable<export_outcome> export_community(db::connection& conn, std::string community_id,
                                                        std::FILE* out, std::string exported_at,
                                                        file_store& files);

struct download {
    std::optional<manifest> written; // nullopt: see error (empty: no such community)
    std::string error;
    // The archive, rewound, and its size: sent from the file, never whole in memory.
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{nullptr, &std::fclose};
    std::int64_t size = 0;
};

// An export for the browser: written to an anonymous temporary file on a connection of `db`, then read
// back piece by piece as the response body (download::file). Neither the rows nor the archive sit in memory.
boost::asio::awaitable<download> export_for_download(db::pool& db, std::string community_id,
                                                     file_store& files);

struct import_outcome {
    std::optional<db::import_counts> counts; // nullopt: nothing changed, see error
    std::string error;                       // one line: what is wrong with the archive, or the database
};

// Creates a new community from the archive in `in`, all in one transaction on `conn`: on any error
// nothing is changed. Each files/ entry is streamed into a new blob of `files` and checked against its
// line of uploads.jsonl; when the import fails the blobs it wrote are removed again (a crash in between
// leaves them unreferenced in the storage: not yet collected by anything).
boost::asio::awaitable<import_outcome> import_archive(db::connection& conn, std::FILE* in, file_store& files);

} // namespace eelchat::archive
