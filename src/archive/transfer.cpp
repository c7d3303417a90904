#include "archive/transfer.hpp"

#include "core/sha256.hpp"
#include "core/tar.hpp"

#include <chrono>
#include <ctime>
#include <exception>
#include <functional>
#include <memory>
#include <vector>

namespace eelchat::archive {

namespace asio = boost::asio;

namespace {

constexpr int page_rows = 1000;
constexpr std::size_t stage_rows = 500;
constexpr std::size_t stage_bytes = 4 << 20;
// A file's bytes move between the archive and the storage in pieces of this size.
constexpr std::size_t piece_bytes = 256 << 10;
// A thumbnail's size is not in its line; this bounds what an import stores for one.
constexpr std::int64_t max_thumbnail_bytes = 32 << 20;
constexpr db::archive_part parts[] = {db::archive_part::members, db::archive_part::channels,
                                      db::archive_part::messages, db::archive_part::reactions,
                                      db::archive_part::uploads};

// Each statement gets its own deadline: a large community takes long in total, no single page does.
std::chrono::steady_clock::time_point statement_deadline() {
    return std::chrono::steady_clock::now() + std::chrono::minutes(5);
}

std::string db_error(const db::connection& conn, const boost::system::error_code& ec) {
    const auto& detail = conn.last_error_message();
    std::string out = "database error: " + ec.message();
    if (!detail.empty()) {
        out += ": ";
        out += detail.substr(0, detail.find('\n'));
    }
    return out;
}

std::optional<db::archive_part> part_of(std::string_view name) {
    if (name.starts_with("./")) name.remove_prefix(2);
    for (auto p : parts)
        if (name == part_file(p)) return p;
    return std::nullopt;
}

// Writes the pages of one part of one scope (the community, or a channel); empty on success, else the error.
asio::awaitable<std::string> write_pages(db::connection& conn, tar::writer& tw, db::archive_part part,
                                         const std::string& scope_id) {
    std::vector<std::string> after;
    for (;;) {
        auto page = co_await db::export_page(conn, part, scope_id, after, page_rows, statement_deadline());
        if (!page) co_return db_error(conn, page.error());
        for (const auto& line : page->lines) {
            tw.write(line);
            tw.write("\n");
        }
        if (page->next_after.empty()) co_return std::string();
        after = std::move(page->next_after);
    }
}

// Writes one part: members and channels in one run of pages, messages and reactions channel by channel.
asio::awaitable<std::string> write_part(db::connection& conn, tar::writer& tw, db::archive_part part,
                                        const std::string& community_id, std::int64_t mtime) {
    tw.begin_file(part_file(part), mtime);
    if (part == db::archive_part::members || part == db::archive_part::channels) {
        auto problem = co_await write_pages(conn, tw, part, community_id);
        if (!problem.empty()) co_return problem;
    } else {
        std::optional<std::string> after;
        for (;;) {
            auto ids =
                co_await db::export_channel_ids(conn, community_id, after, page_rows, statement_deadline());
            if (!ids) co_return db_error(conn, ids.error());
            for (const auto& id : *ids) {
                auto problem = co_await write_pages(conn, tw, part, id);
                if (!problem.empty()) co_return problem;
            }
            if (ids->size() < static_cast<std::size_t>(page_rows)) break;
            after = ids->back();
        }
    }
    tw.end_file();
    co_return std::string();
}

// One files/ entry: the blob's bytes as the storage hands them out.
asio::awaitable<std::string> write_blob(tar::writer& tw, file_store& files, const std::string& entry,
                                        std::string blob_id, std::int64_t mtime) {
    tw.begin_file(entry, mtime);
    std::function<void(std::string_view)> piece = [&tw](std::string_view bytes) { tw.write(bytes); };
    auto read = co_await files.read(std::move(blob_id), std::move(piece));
    if (!read) co_return entry + ": cannot read it from the storage (" + read.error().message() + ")";
    tw.end_file();
    co_return std::string();
}

// The bytes of every upload of uploads.jsonl (and its thumbnail), channel by channel in the same order.
asio::awaitable<std::string> write_files(db::connection& conn, tar::writer& tw, file_store& files,
                                         const std::string& community_id, std::int64_t mtime) {
    std::optional<std::string> after_channel;
    for (;;) {
        auto ids = co_await db::export_channel_ids(conn, community_id, after_channel, page_rows,
                                                   statement_deadline());
        if (!ids) co_return db_error(conn, ids.error());
        for (const auto& id : *ids) {
            std::vector<std::string> after;
            for (;;) {
                auto page = co_await db::export_files_page(conn, id, after, page_rows, statement_deadline());
                if (!page) co_return db_error(conn, page.error());
                for (const auto& f : page->files) {
                    const auto entry = file_entry(f.upload_id, false);
                    auto problem = co_await write_blob(tw, files, entry, f.blob_id, mtime);
                    if (!problem.empty()) co_return problem;
                    if (!f.thumbnail_blob_id) continue;
                    const auto thumbnail = file_entry(f.upload_id, true);
                    problem = co_await write_blob(tw, files, thumbnail, *f.thumbnail_blob_id, mtime);
                    if (!problem.empty()) co_return problem;
                }
                if (page->next_after.empty()) break;
                after = std::move(page->next_after);
            }
        }
        if (ids->size() < static_cast<std::size_t>(page_rows)) break;
        after_channel = ids->back();
    }
    co_return std::string();
}

asio::awaitable<export_outcome> write_archive(db::connection& conn, std::string community_id, std::FILE* out,
                                              std::string exported_at, file_store& files) {
    auto found = co_await db::begin_export(conn, community_id, statement_deadline());
    if (!found) co_return export_outcome{std::nullopt, db_error(conn, found.error())};
    if (!*found) co_return export_outcome{};
    manifest m;
    m.title = (*found)->title;
    m.exported_at = std::move(exported_at);
    m.members = (*found)->members;
    m.channels = (*found)->channels;
    m.messages = (*found)->messages;
    m.reactions = (*found)->reactions;
    m.uploads = (*found)->uploads;
    const auto mtime = static_cast<std::int64_t>(std::time(nullptr));
    tar::writer tw(out);
    tw.begin_file("manifest.json", mtime);
    tw.write(manifest_json(m));
    tw.end_file();
    tw.add_directory("files/", mtime);
    for (auto part : parts) {
        auto problem = co_await write_part(conn, tw, part, community_id, mtime);
        if (!problem.empty()) co_return export_outcome{std::nullopt, std::move(problem)};
    }
    // After all the lines, so that a reader knows every file's line before its bytes.
    auto problem = co_await write_files(conn, tw, files, community_id, mtime);
    if (!problem.empty()) co_return export_outcome{std::nullopt, std::move(problem)};
    tw.finish();
    co_return export_outcome{std::move(m), ""};
}

// Streams the current entry (files/<id> or its thumbnail) into a new blob, checked against its line;
// empty on success (the blob is then staged and in `written`), else why the archive is refused.
asio::awaitable<std::string> store_file(db::connection& conn, tar::reader& tr, file_store& files,
                                        file_entry_name f, std::string entry, std::uint64_t entry_size,
                                        std::vector<std::string>& written) {
    auto expected = co_await db::expect_file(conn, f.upload_id, f.thumbnail, statement_deadline());
    if (!expected) co_return db_error(conn, expected.error());
    if (!*expected) co_return entry + ": no line of uploads.jsonl expects it (or it comes twice)";
    const std::int64_t limit = (*expected)->size >= 0 ? (*expected)->size : max_thumbnail_bytes;
    if ((*expected)->size >= 0 && entry_size != static_cast<std::uint64_t>(limit))
        co_return entry + ": " + std::to_string(entry_size) + " bytes, its line says " +
            std::to_string(limit);
    if (entry_size > static_cast<std::uint64_t>(limit))
        co_return entry + ": a thumbnail larger than " + std::to_string(limit) + " bytes";
    auto begun = co_await files.begin(limit);
    if (!begun) co_return entry + ": cannot store it (" + begun.error().message() + ")";
    auto writer = std::move(*begun);
    crypto::sha256_stream hash;
    std::string problem;
    for (;;) {
        std::string piece;
        try {
            piece = tr.read_some(piece_bytes);
        } catch (const std::exception& ex) {
            problem = entry + ": " + ex.what();
        }
        if (!problem.empty() || piece.empty()) break;
        hash.update(piece);
        auto appended = co_await writer->append(piece);
        if (!appended) {
            problem = entry + ": cannot store it (" + appended.error().message() + ")";
            break;
        }
    }
    if (problem.empty() && !(*expected)->sha256.empty() && hash.finish_hex() != (*expected)->sha256)
        problem = entry + ": its bytes do not match the sha256 of its line";
    if (!problem.empty()) {
        co_await writer->abort();
        co_return problem;
    }
    auto done = co_await writer->finish();
    if (!done) co_return entry + ": cannot store it (" + done.error().message() + ")";
    written.push_back(done->blob_id);
    auto staged =
        co_await db::stage_file(conn, f.upload_id, f.thumbnail, done->blob_id, statement_deadline());
    if (!staged) co_return db_error(conn, staged.error());
    co_return std::string();
}

asio::awaitable<import_outcome> stage_archive(db::connection& conn, std::FILE* in, file_store& files,
                                              std::vector<std::string>& written) {
    tar::reader tr(in);
    std::optional<manifest> m;
    // Reading happens outside the co_awaits' catch: a tar or line error becomes the outcome's error.
    for (;;) {
        std::optional<tar::entry> e;
        std::string problem;
        try {
            e = tr.next();
        } catch (const std::exception& ex) {
            problem = ex.what();
        }
        if (!problem.empty()) co_return import_outcome{std::nullopt, problem};
        if (!e) break;
        std::string_view name = e->name;
        if (name.starts_with("./")) name.remove_prefix(2);
        if (name == "manifest.json") {
            std::string text;
            try {
                text = tr.read_all(1 << 16);
            } catch (const std::exception& ex) {
                problem = std::string("manifest.json: ") + ex.what();
            }
            if (!problem.empty()) co_return import_outcome{std::nullopt, problem};
            auto parsed = parse_manifest(text);
            if (!parsed.value) co_return import_outcome{std::nullopt, parsed.error};
            m = std::move(parsed.value);
            continue;
        }
        if (auto f = parse_file_entry(name); f && e->type == '0') {
            if (!m) co_return import_outcome{std::nullopt, "manifest.json is not the archive's first file"};
            const std::string entry(name);
            auto stored = co_await store_file(conn, tr, files, std::move(*f), entry, e->size, written);
            if (!stored.empty()) co_return import_outcome{std::nullopt, std::move(stored)};
            continue;
        }
        auto part = part_of(name);
        if (!part || e->type != '0') continue; // the files/ directory, and anything newer
        if (!m) co_return import_outcome{std::nullopt, "manifest.json is not the archive's first file"};
        const std::string file(part_file(*part));
        std::vector<std::string> batch;
        std::size_t batch_bytes = 0;
        std::int64_t line_no = 0, batch_first = 1;
        for (;;) {
            std::optional<std::string> line;
            try {
                line = tr.read_line(max_line_bytes);
            } catch (const std::exception& ex) {
                problem = file + " line " + std::to_string(line_no + 1) + ": " + ex.what();
            }
            if (!problem.empty()) co_return import_outcome{std::nullopt, problem};
            if (line) {
                ++line_no;
                if (line->empty()) continue;
                auto bad = check_line(*part, *line);
                if (!bad.empty())
                    co_return import_outcome{std::nullopt,
                                             file + " line " + std::to_string(line_no) + ": " + bad};
                batch_bytes += line->size();
                batch.push_back(std::move(*line));
            }
            if (!batch.empty() && (!line || batch.size() >= stage_rows || batch_bytes >= stage_bytes)) {
                auto staged = co_await db::stage_lines(conn, *part, batch, statement_deadline());
                if (!staged)
                    co_return import_outcome{std::nullopt, file + " lines " + std::to_string(batch_first) +
                                                               "-" + std::to_string(line_no) +
                                                               ": a bad value (" +
                                                               db_error(conn, staged.error()) + ")"};
                batch.clear();
                batch_bytes = 0;
                batch_first = line_no + 1;
            }
            if (!line) break;
        }
    }
    if (!m) co_return import_outcome{std::nullopt, "not an eelchat export (no manifest.json)"};
    auto unresolved = co_await db::check_staged(conn, statement_deadline());
    if (!unresolved) co_return import_outcome{std::nullopt, db_error(conn, unresolved.error())};
    if (*unresolved) co_return import_outcome{std::nullopt, **unresolved};
    auto created = co_await db::create_from_staged(conn, m->title, statement_deadline());
    if (!created) co_return import_outcome{std::nullopt, db_error(conn, created.error())};
    co_return import_outcome{std::move(*created), ""};
}

} // namespace

asio::awaitable<export_outcome> export_community(db::connection& conn, std::string community_id,
                                                 std::FILE* out, std::string exported_at, file_store& files) {
    export_outcome outcome;
    std::string thrown;
    try {
        outcome = co_await write_archive(conn, std::move(community_id), out, std::move(exported_at), files);
    } catch (const std::runtime_error& e) { // the tar writer's failed writes
        thrown = e.what();
    }
    if (!thrown.empty()) outcome = export_outcome{std::nullopt, thrown};
    if (conn.usable() && conn.transaction_status() != PQTRANS_IDLE)
        co_await conn.execute("ROLLBACK", statement_deadline());
    co_return outcome;
}

asio::awaitable<download> export_for_download(db::pool& db, std::string community_id, file_store& files) {
    download out;
    auto lease = co_await db.acquire(std::chrono::steady_clock::now() + std::chrono::seconds(10));
    if (!lease) {
        out.error = "database error: " + lease.error().message();
        co_return out;
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::tmpfile(), &std::fclose);
    if (!file) {
        out.error = "cannot create a temporary file";
        co_return out;
    }
    auto exported_at = utc_timestamp(std::time(nullptr));
    auto outcome =
        co_await export_community(lease->get(), std::move(community_id), file.get(), exported_at, files);
    lease->release();
    out.written = std::move(outcome.written);
    out.error = std::move(outcome.error);
    if (!out.written) co_return out;
    if (std::fflush(file.get()) != 0 || std::fseek(file.get(), 0, SEEK_END) != 0 ||
        (out.size = std::ftell(file.get())) < 0) {
        out.written.reset();
        out.error = "cannot read the temporary file back";
        co_return out;
    }
    std::rewind(file.get());
    out.file = std::move(file);
    co_return out;
}

asio::awaitable<import_outcome> import_archive(db::connection& conn, std::FILE* in, file_store& files) {
    auto begun = co_await db::begin_import(conn, statement_deadline());
    if (!begun) co_return import_outcome{std::nullopt, db_error(conn, begun.error())};
    std::vector<std::string> written;
    auto outcome = co_await stage_archive(conn, in, files, written);
    if (outcome.counts) {
        auto committed = co_await conn.execute("COMMIT", statement_deadline());
        if (!committed) outcome = import_outcome{std::nullopt, db_error(conn, committed.error())};
    } else if (conn.usable()) {
        co_await conn.execute("ROLLBACK", statement_deadline());
    }
    // Nothing refers to the blobs of a failed import: take them back out of the storage.
    if (!outcome.counts)
        for (auto& id : written)
            co_await files.remove(std::move(id));
    co_return outcome;
}

} // namespace eelchat::archive
