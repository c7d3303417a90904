#include "uploads/garbage.hpp"

#include "db/attachment_store.hpp"
#include "db/params.hpp"

namespace eelchat::uploads {

boost::asio::awaitable<result<int>> collect_garbage(db::pool& db, storage& store, int limit) {
    auto ids = co_await db::unreferenced_garbage(db, limit);
    if (!ids) co_return db::failure<int>(ids.error());
    int removed = 0;
    for (auto& id : *ids) {
        auto gone = co_await store.remove(id);
        if (!gone) co_return db::failure<int>(gone.error());
        auto forgotten = co_await db::forget_garbage(db, id);
        if (!forgotten) co_return db::failure<int>(forgotten.error());
        ++removed;
    }
    co_return removed;
}

} // namespace eelchat::uploads
