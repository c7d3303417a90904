// SHA-256 of data that arrives in pieces (an upload written chunk by chunk), so that hashing a file
// never needs all of it in memory. crypto::sha256_hex is the one-shot form.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace eelchat::crypto {

class sha256_stream {
public:
    sha256_stream();
    ~sha256_stream();
    sha256_stream(sha256_stream&&) noexcept;
    sha256_stream& operator=(sha256_stream&&) noexcept;

    void update(std::string_view data);
    // The digest of everything given to update(), as 64 lowercase hex characters. Once only: the stream
    // starts over afterwards.
    std::string finish_hex();

private:
    struct state;
    std::unique_ptr<state> state_;
};

} // namespace eelchat::crypto
