// SHA-256 in pieces (core/sha256.hpp): the same digest as the one-shot crypto::sha256_hex however the
// data is split, the published test vectors, and a stream that starts over after finish_hex().
#include "core/sha256.hpp"

#include "core/crypto.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace eelchat;

TEST_CASE("sha256_stream matches the published vectors", "[unit][crypto]") {
    crypto::sha256_stream s;
    CHECK(s.finish_hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    s.update("a");
    s.update("");
    s.update("bc");
    CHECK(s.finish_hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // finish_hex() started it over: the same input gives the same digest again.
    s.update("abc");
    CHECK(s.finish_hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("sha256_stream agrees with sha256_hex whatever the pieces", "[unit][crypto]") {
    std::string data;
    for (int i = 0; i < 5000; ++i)
        data += static_cast<char>((i * 131 + 7) % 256);
    const auto expected = crypto::sha256_hex(data);
    for (std::size_t piece : {1, 3, 63, 64, 65, 4999, 5000}) {
        crypto::sha256_stream s;
        for (std::size_t at = 0; at < data.size(); at += piece)
            s.update(std::string_view(data).substr(at, piece));
        INFO("pieces of " << piece);
        CHECK(s.finish_hex() == expected);
    }
    // Moved, it carries on where it was.
    crypto::sha256_stream first;
    first.update(std::string_view(data).substr(0, 100));
    crypto::sha256_stream second = std::move(first);
    second.update(std::string_view(data).substr(100));
    CHECK(second.finish_hex() == expected);
}
