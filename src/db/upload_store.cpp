#include "db/upload_store.hpp"

#include "core/crypto.hpp"
#include "db/params.hpp"
#include "db/pool.hpp"

#include <cstddef>
#include <span>

namespace eelchat::db {

namespace asio = boost::asio;

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// What encode(..., 'hex') gave back; nullopt for anything else (a bug in the query).
std::optional<std::string> from_hex(std::string_view h) {
    if (h.size() % 2 != 0) return std::nullopt;
    std::string out(h.size() / 2, '\0');
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = hex_digit(h[2 * i]), lo = hex_digit(h[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out[i] = static_cast<char>(hi * 16 + lo);
    }
    return out;
}

} // namespace

asio::awaitable<result<void>> create_upload_blob(pool& db, std::string id, int chunk_size) {
    auto r = co_await db.query("INSERT INTO upload_blobs (id, chunk_size) VALUES ($1, $2)",
                               params(std::move(id), chunk_size));
    if (!r) co_return r.error();
    co_return result<void>();
}

asio::awaitable<result<void>> put_upload_chunk(pool& db, std::string id, int n, std::string_view bytes) {
    auto encoded = crypto::hex(std::as_bytes(std::span<const char>(bytes.data(), bytes.size())));
    auto r =
        co_await db.query("INSERT INTO upload_chunks (blob_id, n, data) VALUES ($1, $2, decode($3, 'hex'))",
                          params(std::move(id), n, std::move(encoded)));
    if (!r) co_return r.error();
    co_return result<void>();
}

asio::awaitable<result<bool>> complete_upload_blob(pool& db, std::string id, std::int64_t size,
                                                   std::string sha256) {
    auto r = co_await db.query("UPDATE upload_blobs SET complete = true, size = $2, sha256 = $3"
                               " WHERE id = $1 AND NOT complete",
                               params(std::move(id), size, std::move(sha256)));
    if (!r) co_return failure<bool>(r.error());
    co_return r->affected_rows() == 1;
}

asio::awaitable<result<bool>> delete_upload_blob(pool& db, std::string id) {
    auto r = co_await db.query("DELETE FROM upload_blobs WHERE id = $1", params(std::move(id)));
    if (!r) co_return failure<bool>(r.error());
    co_return r->affected_rows() == 1;
}

asio::awaitable<result<std::optional<upload_blob_row>>> find_upload_blob(pool& db, std::string id) {
    auto r = co_await db.query("SELECT size, sha256, chunk_size FROM upload_blobs WHERE id = $1 AND complete",
                               params(std::move(id)));
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<upload_blob_row>();
    auto size = to_int(r->get(0, 0));
    auto chunk = to_int(r->get(0, 2));
    if (!size || !chunk) co_return make_error_code(errc::protocol_error);
    co_return std::optional<upload_blob_row>(
        upload_blob_row{*size, std::string(r->get(0, 1)), static_cast<int>(*chunk)});
}

asio::awaitable<result<std::optional<std::string>>> read_upload_chunk(pool& db, std::string id, int n,
                                                                      int offset, int length) {
    // substring() counts from 1.
    auto r = co_await db.query("SELECT encode(substring(data FROM $3 FOR $4), 'hex') FROM upload_chunks"
                               " WHERE blob_id = $1 AND n = $2",
                               params(std::move(id), n, offset + 1, length));
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<std::string>();
    auto bytes = from_hex(r->get(0, 0));
    if (!bytes) co_return make_error_code(errc::protocol_error);
    co_return std::move(bytes);
}

asio::awaitable<result<std::int64_t>> delete_incomplete_upload_blobs(pool& db,
                                                                     std::chrono::seconds older_than) {
    auto r = co_await db.query("DELETE FROM upload_blobs WHERE NOT complete"
                               " AND created_at < now() - make_interval(secs => $1)",
                               params(static_cast<std::int64_t>(older_than.count())));
    if (!r) co_return r.error();
    co_return r->affected_rows();
}

} // namespace eelchat::db
