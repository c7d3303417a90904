// Base64url without padding (RFC 4648 5, as JOSE and Web Push use it). Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace eelchat::text {

std::string base64url_encode(std::string_view data);
// Refuses padding, the other alphabet and stray bits, so each byte string has exactly one encoding.
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace eelchat::text
