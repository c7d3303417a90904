#include "db/attachment_store.hpp"

#include "db/params.hpp"
#include "db/pool.hpp"
#include "db/uuid_array.hpp"

namespace eelchat::db {

namespace asio = boost::asio;

namespace {

constexpr std::string_view upload_columns =
    "id, channel_id, user_id, message_id, name, content_type, size, sha256, blob_id, inline_image,"
    " thumbnail_blob_id, coalesce(thumbnail_type, ''), coalesce(width, 0), coalesce(height, 0)";

upload_row read_upload(const pg_result& r, int row) {
    upload_row u;
    u.id = std::string(r.get(row, 0));
    u.channel_id = std::string(r.get(row, 1));
    u.user_id = std::string(r.get(row, 2));
    u.message_id = optional_text(r, row, 3);
    u.name = std::string(r.get(row, 4));
    u.content_type = std::string(r.get(row, 5));
    u.size = to_int(r.get(row, 6)).value_or(0);
    u.sha256 = std::string(r.get(row, 7));
    u.blob_id = std::string(r.get(row, 8));
    u.inline_image = r.get(row, 9) == "t";
    u.thumbnail_blob_id = optional_text(r, row, 10);
    u.thumbnail_type = std::string(r.get(row, 11));
    u.width = static_cast<int>(to_int(r.get(row, 12)).value_or(0));
    u.height = static_cast<int>(to_int(r.get(row, 13)).value_or(0));
    return u;
}

} // namespace

asio::awaitable<result<std::string>> insert_upload(pool& db, upload_row u) {
    const bool has_thumbnail = u.thumbnail_blob_id.has_value();
    auto args = params(std::move(u.channel_id), std::move(u.user_id), std::move(u.name),
                       std::move(u.content_type), std::to_string(u.size), std::move(u.sha256),
                       std::move(u.blob_id), u.inline_image, std::move(u.thumbnail_blob_id),
                       has_thumbnail ? std::optional<std::string>(u.thumbnail_type) : std::nullopt,
                       has_thumbnail ? std::optional<std::string>(std::to_string(u.width)) : std::nullopt,
                       has_thumbnail ? std::optional<std::string>(std::to_string(u.height)) : std::nullopt);
    auto r = co_await db.query(
        "INSERT INTO uploads (channel_id, user_id, name, content_type, size, sha256, blob_id, inline_image,"
        " thumbnail_blob_id, thumbnail_type, width, height)"
        " VALUES ($1, $2, $3, $4, $5::bigint, $6, $7, $8, $9, $10, $11::int, $12::int) RETURNING id",
        std::move(args));
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return make_error_code(errc::protocol_error);
    co_return std::string(r->get(0, 0));
}

asio::awaitable<result<std::optional<upload_row>>> find_upload(pool& db, std::string channel_id,
                                                               std::string upload_id) {
    auto args = params(std::move(channel_id), std::move(upload_id));
    static const std::string sql =
        "SELECT " + std::string(upload_columns) + " FROM uploads WHERE channel_id = $1 AND id = $2";
    auto r = co_await db.query(sql, std::move(args));
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<upload_row>{};
    co_return std::optional<upload_row>(read_upload(*r, 0));
}

asio::awaitable<result<std::int64_t>> uploaded_bytes(pool& db, std::string user_id) {
    auto args = params(std::move(user_id));
    auto r =
        co_await db.query("SELECT coalesce(sum(size), 0) FROM uploads WHERE user_id = $1", std::move(args));
    if (!r) co_return r.error();
    co_return to_int(r->get(0, 0)).value_or(0);
}

asio::awaitable<result<int>> count_pending_uploads(pool& db, std::string user_id, std::string channel_id,
                                                   std::vector<std::string> upload_ids) {
    auto args = params(std::move(user_id), std::move(channel_id), uuid_array(upload_ids));
    auto r = co_await db.query("SELECT count(*) FROM uploads WHERE id = ANY ($3::uuid[]) AND user_id = $1"
                               " AND channel_id = $2 AND message_id IS NULL",
                               std::move(args));
    if (!r) co_return failure<int>(r.error());
    co_return static_cast<int>(to_int(r->get(0, 0)).value_or(0));
}

asio::awaitable<result<bool>> delete_pending_upload(pool& db, std::string user_id, std::string channel_id,
                                                    std::string upload_id) {
    auto args = params(std::move(user_id), std::move(channel_id), std::move(upload_id));
    auto r = co_await db.query("DELETE FROM uploads WHERE id = $3 AND user_id = $1 AND channel_id = $2"
                               " AND message_id IS NULL",
                               std::move(args));
    if (!r) co_return failure<bool>(r.error());
    co_return r->affected_rows() > 0;
}

asio::awaitable<result<std::int64_t>> delete_stale_uploads(pool& db, std::chrono::seconds older_than) {
    auto args = params(static_cast<int>(older_than.count()));
    auto r = co_await db.query("DELETE FROM uploads WHERE message_id IS NULL"
                               " AND created_at < now() - make_interval(secs => $1)",
                               std::move(args));
    if (!r) co_return r.error();
    co_return r->affected_rows();
}

asio::awaitable<result<std::vector<std::string>>> unreferenced_garbage(pool& db, int limit) {
    auto args = params(limit);
    auto r = co_await db.query(
        "SELECT g.blob_id FROM upload_garbage g WHERE NOT EXISTS (SELECT 1 FROM uploads u"
        " WHERE u.blob_id = g.blob_id OR u.thumbnail_blob_id = g.blob_id) ORDER BY g.queued_at LIMIT $1",
        std::move(args));
    if (!r) co_return r.error();
    std::vector<std::string> ids;
    for (int i = 0; i < r->rows(); ++i)
        ids.emplace_back(r->get(i, 0));
    co_return ids;
}

asio::awaitable<result<void>> forget_garbage(pool& db, std::string blob_id) {
    auto args = params(std::move(blob_id));
    auto r = co_await db.query("DELETE FROM upload_garbage WHERE blob_id = $1", std::move(args));
    if (!r) co_return r.error();
    co_return result<void>{};
}

} // namespace eelchat::db
