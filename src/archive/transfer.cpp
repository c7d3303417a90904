#include "archive/transfer.hpp"

#include "core/tar.hpp"

#include <chrono>
#include <ctime>
#include <exception>
#include <memory>

namespace eelchat::archive {

namespace asio = boost::asio;

namespace {

constexpr int page_rows = 1000;
constexpr std::size_t stage_rows = 500;
constexpr std::size_t stage_bytes = 4 << 20;
constexpr db::archive_part parts[] = {db::archive_part::members, db::archive_part::channels,
                                      db::archive_part::messages, db::archive_part::reactions};

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

asio::awaitable<export_outcome> write_archive(db::connection& conn, std::string community_id, std::FILE* out,
                                              std::string exported_at) {
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
    const auto mtime = static_cast<std::int64_t>(std::time(nullptr));
    tar::writer tw(out);
    tw.begin_file("manifest.json", mtime);
    tw.write(manifest_json(m));
    tw.end_file();
    tw.add_directory("files/", mtime); // reserved for uploads
    for (auto part : parts) {
        auto problem = co_await write_part(conn, tw, part, community_id, mtime);
        if (!problem.empty()) co_return export_outcome{std::nullopt, std::move(problem)};
    }
    tw.finish();
    co_return export_outcome{std::move(m), ""};
}

asio::awaitable<import_outcome> stage_archive(db::connection& conn, std::FILE* in) {
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
        auto part = part_of(name);
        if (!part || e->type != '0') continue; // files/ and anything newer: not read by version 1
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
                                                 std::FILE* out, std::string exported_at) {
    export_outcome outcome;
    std::string thrown;
    try {
        outcome = co_await write_archive(conn, std::move(community_id), out, std::move(exported_at));
    } catch (const std::runtime_error& e) { // the tar writer's failed writes
        thrown = e.what();
    }
    if (!thrown.empty()) outcome = export_outcome{std::nullopt, thrown};
    if (conn.usable() && conn.transaction_status() != PQTRANS_IDLE)
        co_await conn.execute("ROLLBACK", statement_deadline());
    co_return outcome;
}

asio::awaitable<download> export_for_download(db::pool& db, std::string community_id) {
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
    auto outcome = co_await export_community(lease->get(), std::move(community_id), file.get(),
                                             utc_timestamp(std::time(nullptr)));
    lease->release();
    out.written = std::move(outcome.written);
    out.error = std::move(outcome.error);
    if (!out.written) co_return out;
    std::rewind(file.get());
    char buf[1 << 16];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, file.get())) > 0;)
        out.body.append(buf, n);
    if (std::ferror(file.get())) {
        out.written.reset();
        out.error = "cannot read the temporary file back";
        out.body.clear();
    }
    co_return out;
}

asio::awaitable<import_outcome> import_archive(db::connection& conn, std::FILE* in) {
    auto begun = co_await db::begin_import(conn, statement_deadline());
    if (!begun) co_return import_outcome{std::nullopt, db_error(conn, begun.error())};
    auto outcome = co_await stage_archive(conn, in);
    if (outcome.counts) {
        auto committed = co_await conn.execute("COMMIT", statement_deadline());
        if (!committed) co_return import_outcome{std::nullopt, db_error(conn, committed.error())};
    } else if (conn.usable()) {
        co_await conn.execute("ROLLBACK", statement_deadline());
    }
    co_return outcome;
}

} // namespace eelchat::archive
