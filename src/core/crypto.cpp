#include "core/crypto.hpp"

#include "core/text.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace eelchat::crypto {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

bool is_hex_digit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

} // namespace

void random_bytes(std::span<std::byte> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        // Requests over 256 bytes may be cut short (and by signals): loop until everything is filled.
        ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "getrandom");
        }
        done += static_cast<std::size_t>(n);
    }
}

bool is_token(std::string_view s) {
    return s.size() == 64 && s.find_first_not_of(hex_digits) == std::string_view::npos;
}

std::string random_token() {
    std::array<std::byte, 32> buf;
    random_bytes(buf);
    return hex(buf);
}

std::string random_code6() {
    // 4'294'000'000 is the largest multiple of 10^6 below 2^32; drawing again above it keeps every code
    // equally likely (a plain modulo would favour the low codes).
    constexpr std::uint32_t limit = 4'294'000'000u;
    std::uint32_t v = 0;
    do {
        std::array<std::byte, 4> buf;
        random_bytes(buf);
        std::memcpy(&v, buf.data(), sizeof v);
    } while (v >= limit);
    v %= 1'000'000u;

    std::string code(6, '0');
    for (int i = 5; i >= 0; --i) {
        code[static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
    return code;
}

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md;
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("EVP_Digest(sha256) failed");
    return hex(std::as_bytes(std::span(md.data(), len)));
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md;
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), md.data(), &len))
        throw std::runtime_error("HMAC(sha256) failed");
    return hex(std::as_bytes(std::span(md.data(), len)));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hex(std::span<const std::byte> bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (std::byte b : bytes) {
        auto v = std::to_integer<unsigned>(b);
        out += hex_digits[v >> 4];
        out += hex_digits[v & 0x0f];
    }
    return out;
}

std::string new_uuid() {
    std::array<std::byte, 16> b;
    random_bytes(b);
    // RFC 4122 section 4.4: version 4 in the high nibble of byte 6, variant 10xx in byte 8.
    b[6] = (b[6] & std::byte{0x0f}) | std::byte{0x40};
    b[8] = (b[8] & std::byte{0x3f}) | std::byte{0x80};

    std::string h = hex(b);
    std::string out;
    out.reserve(36);
    out.append(h, 0, 8).append(1, '-');
    out.append(h, 8, 4).append(1, '-');
    out.append(h, 12, 4).append(1, '-');
    out.append(h, 16, 4).append(1, '-');
    out.append(h, 20, 12);
    return out;
}

bool is_uuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash_position ? s[i] != '-' : !is_hex_digit(s[i])) return false;
    }
    return true;
}

std::optional<std::string> normalize_uuid(std::string_view s) {
    if (!is_uuid(s)) return std::nullopt;
    std::string out(s);
    for (char& c : out)
        c = text::to_lower_ascii(c);
    return out;
}

} // namespace eelchat::crypto
