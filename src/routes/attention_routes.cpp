// GET /community/:id/channel/:cid/mentionable?q=...: the people the composer offers after "@", among
// those who may read the channel (so a mention never names someone who cannot see it), as JSON
// [{"id": membership id, "user": user id, "name": shown name}, ...], at most 8.
#include "db/attention_store.hpp"
#include "routes/guards.hpp"
#include "routes/responses.hpp"
#include "routes/routes.hpp"
#include "routes/shell.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace eelchat::routes {

namespace asio = boost::asio;

namespace {

constexpr int max_candidates = 8;
constexpr std::size_t max_prefix = 50;

} // namespace

void add_attention_routes(router& r) {
    r.add(http::verb::get, "/community/:id/channel/:cid/mentionable",
          with_channel([](request_context& ctx, signed_in_user&, community_access&,
                          db::channel_row& channel) -> asio::awaitable<net::http_response> {
              std::string prefix = query_value(ctx, "q");
              if (prefix.size() > max_prefix) prefix.resize(max_prefix);
              auto found = co_await db::mention_candidates(ctx.svc.db, channel.id, prefix, max_candidates);
              if (!found) co_return database_failure(ctx, found.error());
              boost::json::array out;
              for (const auto& c : *found)
                  out.emplace_back(boost::json::object{{"id", c.membership_id}, {"user", c.user_id}, {"name", c.name}});
              auto res = text_response(http::status::ok, boost::json::serialize(out));
              res.set(http::field::content_type, "application/json");
              res.set(http::field::cache_control, "no-store");
              co_return res;
          }));
}

} // namespace eelchat::routes
