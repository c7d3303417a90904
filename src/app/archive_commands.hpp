// `eelchat export COMMUNITY_ID FILE` and `eelchat import ARCHIVE`: one connection from DATABASE_URL,
// the archive feature's transfer, and one line of outcome. They return the process's exit code.
#pragma once

#include "app/config.hpp"
#include "archive/file_store.hpp"
#include "uploads/storage.hpp"

#include <memory>
#include <string>

namespace eelchat {

// 0 when written; 1 (one line on stderr) when the community is unknown or anything fails (the file
// is then removed).
int run_export(const config& cfg, const std::string& community_id, const std::string& path);

// 0 when imported (the counts and the new id on stdout); 1 with one line on stderr otherwise, and
// nothing changed in the database.
int run_import(const config& cfg, const std::string& path);

// The archive's view of an uploads storage, reading and writing its blobs (the archive feature may not
// include uploads): what the commands hand to export and import, and what tests do. `storage` must
// outlive it.
std::unique_ptr<archive::file_store> make_archive_files(uploads::storage& storage);

} // namespace eelchat
