#include "core/tar.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

namespace eelchat::tar {

namespace {

constexpr std::size_t block = 512;

void put_octal(char* field, std::size_t width, std::uint64_t value) {
    // width - 1 digits and a NUL, zero-padded, as ustar readers expect.
    std::string digits(width - 1, '0');
    for (std::size_t i = width - 1; i-- > 0 && value > 0; value >>= 3)
        digits[i] = static_cast<char>('0' + (value & 7));
    if (value != 0) throw std::runtime_error("tar: a size or time too large for its field");
    std::memcpy(field, digits.data(), width - 1);
    field[width - 1] = '\0';
}

std::optional<std::uint64_t> get_octal(std::string_view field) {
    std::uint64_t v = 0;
    bool any = false;
    for (char c : field) {
        if (c == '\0' || c == ' ') {
            if (any) break;
            continue;
        }
        if (c < '0' || c > '7') return std::nullopt;
        v = (v << 3) | static_cast<std::uint64_t>(c - '0');
        any = true;
    }
    if (!any) return std::nullopt;
    return v;
}

unsigned checksum(std::string_view header) {
    unsigned sum = 0;
    for (std::size_t i = 0; i < block; ++i)
        sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(header[i]);
    return sum;
}

void write_all(std::FILE* out, const char* data, std::size_t n) {
    if (n > 0 && std::fwrite(data, 1, n, out) != n) throw std::runtime_error("tar: write failed");
}

} // namespace

void writer::put_header(std::string_view name, char type, std::uint64_t size, std::int64_t mtime) {
    if (name.empty() || name.size() > 100) throw std::runtime_error("tar: a name of 1 to 100 bytes");
    std::array<char, block> h{};
    std::memcpy(h.data(), name.data(), name.size());
    put_octal(h.data() + 100, 8, type == '5' ? 0755 : 0644);
    put_octal(h.data() + 108, 8, 0);
    put_octal(h.data() + 116, 8, 0);
    put_octal(h.data() + 124, 12, size);
    put_octal(h.data() + 136, 12, static_cast<std::uint64_t>(std::max<std::int64_t>(mtime, 0)));
    h[156] = type;
    std::memcpy(h.data() + 257, "ustar", 6);
    std::memcpy(h.data() + 263, "00", 2);
    const unsigned sum = checksum(std::string_view(h.data(), h.size()));
    put_octal(h.data() + 148, 7, sum);
    h[155] = ' ';
    write_all(out_, h.data(), h.size());
}

void writer::add_directory(std::string_view name, std::int64_t mtime) {
    put_header(name, '5', 0, mtime);
}

void writer::begin_file(std::string_view name, std::int64_t mtime) {
    if (header_at_ >= 0) throw std::runtime_error("tar: an entry is already open");
    header_at_ = std::ftell(out_);
    if (header_at_ < 0) throw std::runtime_error("tar: the output is not seekable");
    name_ = std::string(name);
    mtime_ = mtime;
    size_ = 0;
    put_header(name_, '0', 0, mtime_);
}

void writer::write(std::string_view bytes) {
    write_all(out_, bytes.data(), bytes.size());
    size_ += bytes.size();
}

void writer::end_file() {
    if (header_at_ < 0) throw std::runtime_error("tar: no entry is open");
    static constexpr std::array<char, block> zeros{};
    write_all(out_, zeros.data(), (block - size_ % block) % block);
    const long end = std::ftell(out_);
    if (std::fseek(out_, header_at_, SEEK_SET) != 0) throw std::runtime_error("tar: seek failed");
    put_header(name_, '0', size_, mtime_);
    if (std::fseek(out_, end, SEEK_SET) != 0) throw std::runtime_error("tar: seek failed");
    header_at_ = -1;
}

void writer::finish() {
    if (header_at_ >= 0) end_file();
    static constexpr std::array<char, 2 * block> zeros{};
    write_all(out_, zeros.data(), zeros.size());
    if (std::fflush(out_) != 0) throw std::runtime_error("tar: write failed");
}

std::optional<entry> parse_header(std::string_view h) {
    if (h.size() != block) return std::nullopt;
    if (h.substr(257, 5) != "ustar") return std::nullopt;
    auto stored = get_octal(h.substr(148, 8));
    if (!stored || *stored != checksum(h)) return std::nullopt;
    auto size = get_octal(h.substr(124, 12));
    if (!size) return std::nullopt;
    entry e;
    const auto name = h.substr(0, 100);
    e.name = std::string(name.substr(0, std::min(name.find('\0'), name.size())));
    const auto prefix = h.substr(345, 155);
    const auto p = prefix.substr(0, std::min(prefix.find('\0'), prefix.size()));
    if (!p.empty()) e.name = std::string(p) + "/" + e.name;
    e.type = h[156] == '\0' ? '0' : h[156];
    e.size = e.type == '5' ? 0 : *size;
    return e;
}

void reader::skip_rest() {
    std::array<char, block> buf{};
    std::uint64_t n = left_ + padding_;
    while (n > 0) {
        const auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(n, buf.size()));
        if (std::fread(buf.data(), 1, chunk, in_) != chunk)
            throw std::runtime_error("the archive is truncated");
        n -= chunk;
    }
    left_ = padding_ = 0;
}

std::optional<entry> reader::next() {
    if (ended_) return std::nullopt;
    skip_rest();
    std::array<char, block> h{};
    const auto got = std::fread(h.data(), 1, h.size(), in_);
    if (got == 0) {
        ended_ = true;
        return std::nullopt;
    }
    if (got != h.size()) throw std::runtime_error("not a tar archive (a short header)");
    if (std::all_of(h.begin(), h.end(), [](char c) { return c == '\0'; })) {
        ended_ = true;
        return std::nullopt;
    }
    auto e = parse_header(std::string_view(h.data(), h.size()));
    if (!e) throw std::runtime_error("not a tar archive (no valid ustar header)");
    left_ = e->size;
    padding_ = (block - e->size % block) % block;
    return e;
}

std::optional<std::string> reader::read_line(std::size_t max_line) {
    if (left_ == 0) return std::nullopt;
    std::string line;
    while (left_ > 0) {
        const int c = std::fgetc(in_);
        if (c == EOF) throw std::runtime_error("the archive is truncated");
        --left_;
        if (c == '\n') return line;
        if (line.size() >= max_line) throw std::runtime_error("a line longer than the limit");
        line.push_back(static_cast<char>(c));
    }
    return line;
}

std::string reader::read_all(std::size_t max) {
    if (left_ > max) throw std::runtime_error("an entry larger than the limit");
    std::string out(static_cast<std::size_t>(left_), '\0');
    if (!out.empty() && std::fread(out.data(), 1, out.size(), in_) != out.size())
        throw std::runtime_error("the archive is truncated");
    left_ = 0;
    return out;
}

std::string reader::read_some(std::size_t max) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left_, max));
    std::string out(n, '\0');
    if (n > 0 && std::fread(out.data(), 1, n, in_) != n) throw std::runtime_error("the archive is truncated");
    left_ -= n;
    return out;
}

} // namespace eelchat::tar
