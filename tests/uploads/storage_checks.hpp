// What every storage backend must do, written once for both backends' tests (postgres_storage_test,
// directory_storage_test): the bytes come back exactly, whichever way they were appended and however
// they are read, and a blob is addressed by a canonical UUID only.
#pragma once

#include "core/crypto.hpp"
#include "db/support.hpp"
#include "support/async.hpp"
#include "uploads/storage.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/system/errc.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace eelchat::test {

namespace storage_errc = boost::system::errc;

// `n` bytes that are not text: every byte value occurs, zeros included, and no two chunks are alike, so a
// chunk stored or read at the wrong place shows.
inline std::string blob_bytes(std::size_t n) {
    std::string out(n, '\0');
    std::uint32_t x = 2463534242u;
    for (auto& c : out) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<char>(x & 0xff);
    }
    return out;
}

// Writes `data` in appends of the sizes `pieces` gives, in turn (an empty append among them), until all
// of it is written; checks size() as it goes. Completes with what finish() told.
inline boost::asio::awaitable<uploads::blob_info> write_blob(uploads::storage& s, std::string data,
                                                             std::vector<std::size_t> pieces,
                                                             std::int64_t max_bytes = 1 << 30) {
    auto begun = co_await s.begin(max_bytes);
    REQUIRE(ok(begun));
    auto writer = std::move(*begun);
    std::string_view rest = data;
    for (std::size_t i = 0; !rest.empty(); ++i) {
        const auto take = std::min(pieces[i % pieces.size()], rest.size());
        auto piece = rest.substr(0, take);
        auto appended = co_await writer->append(piece);
        REQUIRE(ok(appended));
        rest.remove_prefix(take);
        CHECK(writer->size() == static_cast<std::int64_t>(data.size() - rest.size()));
    }
    auto info = co_await writer->finish();
    REQUIRE(ok(info));
    co_return std::move(*info);
}

// Checks what finish() told against the bytes written.
inline void check_info(const uploads::blob_info& info, const std::string& data) {
    CHECK(crypto::is_uuid(info.id));
    CHECK(crypto::normalize_uuid(info.id) == info.id);
    CHECK(info.size == static_cast<std::int64_t>(data.size()));
    CHECK(info.sha256 == crypto::sha256_hex(data));
}

// Reads blob `id` at every offset from 0 to past its end with several limits: each read gives a prefix of
// what is there (at least one byte unless at or past the end, at most the limit), and reading in a loop
// gives back every byte. `chunk` (0: none) is where the backend's reads may stop short: a read never
// crosses a multiple of it, and reaches it when the limit allows.
inline boost::asio::awaitable<void> check_reads(uploads::storage& s, std::string id, std::string data,
                                                std::size_t chunk) {
    auto opened = co_await s.open(id);
    REQUIRE(ok(opened));
    auto reader = std::move(*opened);
    REQUIRE(reader->size() == static_cast<std::int64_t>(data.size()));
    const std::vector<std::size_t> limits{1, 2, 5, 7, 64 * 1024};
    for (std::size_t offset = 0; offset <= data.size() + 3; ++offset) {
        for (auto limit : limits) {
            auto got = co_await reader->read(static_cast<std::int64_t>(offset), limit);
            REQUIRE(ok(got));
            INFO("offset " << offset << " limit " << limit);
            if (offset >= data.size()) {
                CHECK(got->empty());
                continue;
            }
            REQUIRE(!got->empty());
            REQUIRE(got->size() <= limit);
            CHECK(*got == data.substr(offset, got->size()));
            auto expected = std::min(limit, data.size() - offset);
            if (chunk != 0) expected = std::min(expected, chunk - offset % chunk);
            CHECK(got->size() == expected);
        }
    }
    // A limit no backend can allocate: a read is bounded by the blob (or its chunk), not by the request.
    auto huge = co_await reader->read(0, static_cast<std::size_t>(-1));
    REQUIRE(ok(huge));
    CHECK(*huge == data.substr(0, chunk == 0 ? data.size() : std::min(chunk, data.size())));
    auto negative = co_await reader->read(-1, 10);
    CHECK(failed(negative));
    std::string whole;
    while (whole.size() < data.size()) {
        auto got = co_await reader->read(static_cast<std::int64_t>(whole.size()), 5);
        REQUIRE(ok(got));
        REQUIRE(!got->empty());
        whole += *got;
    }
    CHECK(whole == data);
}

// Ids that must never reach a path or a query: each is no_such_file_or_directory for open() and false
// for remove(). `real` is an existing blob's id, to build near misses from.
inline std::vector<std::string> bad_ids(const std::string& real) {
    return {"",
            "..",
            "../x",
            "../../etc/passwd",
            "/etc/passwd",
            real + "/..",
            "../" + real,
            "./" + real,
            real + " ",
            " " + real,
            "{" + real + "}",
            "urn:uuid:" + real,
            real.substr(0, 35),
            real + "0",
            "." + real + ".part",
            std::string(real).replace(8, 1, "/"),
            std::string(real).replace(0, 1, "g"),
            std::string("0123456789abcdef0123456789abcdef"),
            std::string(real).append(1, '\0')};
}

inline boost::asio::awaitable<void> check_bad_ids(uploads::storage& s, std::string real) {
    for (const auto& id : bad_ids(real)) {
        INFO("id \"" << id << "\"");
        auto opened = co_await s.open(id);
        REQUIRE(failed(opened));
        CHECK(opened.error() == storage_errc::no_such_file_or_directory);
        auto removed = co_await s.remove(id);
        REQUIRE(ok(removed));
        CHECK(!*removed);
    }
    // The same blob in capitals is the same blob: an id is a UUID, not a string.
    std::string upper = real;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](char c) { return c >= 'a' && c <= 'f' ? c - 32 : c; });
    auto opened = co_await s.open(upper);
    CHECK(ok(opened));
}

} // namespace eelchat::test
