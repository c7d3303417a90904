// A uuid[] parameter in PostgreSQL's array syntax ({a,b,c}), for `$n::uuid[]`. The ids must already be
// validated UUIDs: nothing is quoted.
#pragma once

#include <string>
#include <vector>

namespace eelchat::db {

inline std::string uuid_array(const std::vector<std::string>& ids) {
    std::string out = "{";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i) out += ',';
        out += ids[i];
    }
    out += '}';
    return out;
}

} // namespace eelchat::db
