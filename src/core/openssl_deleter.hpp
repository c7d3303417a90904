// A unique_ptr deleter that calls an OpenSSL free function: `std::unique_ptr<BIGNUM,
// openssl_deleter<BN_free>>`. One template instead of a struct per OpenSSL type in every file that uses them.
#pragma once

namespace eelchat {

template <auto Free> struct openssl_deleter {
    template <class T> void operator()(T* p) const noexcept { Free(p); }
};

} // namespace eelchat
