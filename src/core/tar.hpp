// A ustar archive (POSIX.1-1988 "ustar"), written and read one entry at a time from a file, so an archive
// of any size costs a few kilobytes of memory: regular files and directories only, names up to 100 bytes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace eelchat::tar {

// Writes to a seekable FILE* it does not own. An entry's size is written into its header when the entry
// ends (the writer seeks back), so contents stream in without being counted first. Errors (a name too
// long, a failed write) throw std::runtime_error.
class writer {
public:
    explicit writer(std::FILE* out) : out_(out) {}
    void add_directory(std::string_view name, std::int64_t mtime);
    void begin_file(std::string_view name, std::int64_t mtime);
    void write(std::string_view bytes);
    void end_file();
    // The two zero blocks that end an archive; the FILE* is flushed.
    void finish();

private:
    void put_header(std::string_view name, char type, std::uint64_t size, std::int64_t mtime);
    std::FILE* out_;
    long header_at_ = -1;
    std::uint64_t size_ = 0;
    std::int64_t mtime_ = 0;
    std::string name_;
};

struct entry {
    std::string name;
    char type = '0'; // '0' a file, '5' a directory
    std::uint64_t size = 0;
};

// Reads from a FILE* it does not own. Errors (not a tar, a bad checksum, a truncated file) throw
// std::runtime_error with a one-line message.
class reader {
public:
    explicit reader(std::FILE* in) : in_(in) {}
    // The next entry (skipping what is left of the current one), or nullopt at the end of the archive.
    std::optional<entry> next();
    // The current entry's next line, without its '\n'; nullopt at the entry's end. A line longer than
    // `max_line` bytes throws.
    std::optional<std::string> read_line(std::size_t max_line);
    // The rest of the current entry, at most `max` bytes (more throws).
    std::string read_all(std::size_t max);
    // The current entry's next piece, at most `max` bytes (max > 0); empty at the entry's end. Loop to
    // stream an entry of any size with bounded memory.
    std::string read_some(std::size_t max);

private:
    void skip_rest();
    std::FILE* in_;
    std::uint64_t left_ = 0;    // bytes of the current entry not read yet
    std::uint64_t padding_ = 0; // zero bytes after it up to the next 512-byte block
    bool ended_ = false;
};

// Pure, for tests: whether a 512-byte block is a valid ustar header, and its entry.
std::optional<entry> parse_header(std::string_view block);

} // namespace eelchat::tar
