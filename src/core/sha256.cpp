#include "core/sha256.hpp"

#include "core/crypto.hpp"
#include "core/openssl_deleter.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <span>
#include <stdexcept>

namespace eelchat::crypto {

struct sha256_stream::state {
    std::unique_ptr<EVP_MD_CTX, openssl_deleter<EVP_MD_CTX_free>> ctx{EVP_MD_CTX_new()};

    void start() {
        if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
            throw std::runtime_error("EVP_DigestInit_ex(sha256) failed");
    }
};

sha256_stream::sha256_stream() : state_(std::make_unique<state>()) {
    state_->start();
}
sha256_stream::~sha256_stream() = default;
sha256_stream::sha256_stream(sha256_stream&&) noexcept = default;
sha256_stream& sha256_stream::operator=(sha256_stream&&) noexcept = default;

void sha256_stream::update(std::string_view data) {
    if (data.empty()) return;
    if (EVP_DigestUpdate(state_->ctx.get(), data.data(), data.size()) != 1)
        throw std::runtime_error("EVP_DigestUpdate(sha256) failed");
}

std::string sha256_stream::finish_hex() {
    std::array<std::byte, EVP_MAX_MD_SIZE> md{};
    unsigned len = 0;
    if (EVP_DigestFinal_ex(state_->ctx.get(), reinterpret_cast<unsigned char*>(md.data()), &len) != 1)
        throw std::runtime_error("EVP_DigestFinal_ex(sha256) failed");
    state_->start();
    return hex(std::span<const std::byte>(md.data(), len));
}

} // namespace eelchat::crypto
