// Posting to a channel or a thread (POST /community/:id/channel/:cid), and what every change a member
// makes shares with it: the refusal texts of core/text.hpp's checks and the posting rate limits.
#pragma once

#include "core/text.hpp"
#include "routes/context.hpp"
#include "routes/guards.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eelchat::routes {

std::string_view message_problem_text(text::message_problem p);

// The posting limits of limits/settings.hpp, the user's first (a refusal charges nothing else), for any
// change that becomes an event: a message, an edit, a deletion, a reaction. nullopt: go ahead.
struct change_refusal {
    std::string text;        // "You are sending messages too fast. Wait 3 seconds, ..."
    std::string retry_after; // seconds, for the Retry-After header
};
std::optional<change_refusal> take_change_allowance(request_context& ctx, const signed_in_user& user);

// A message's text rendered, with its mentions resolved among the channel's readers and linked in the
// HTML (conversations/mentions.hpp). `refusal` when it uses @channel and the member may not.
struct rendered_text {
    std::string html;
    std::vector<std::string> mentions; // membership ids
    bool mention_channel = false;
    std::string refusal;
};
boost::asio::awaitable<db::result<rendered_text>> render_with_mentions(request_context& ctx,
                                                                       const community_access& access,
                                                                       const db::channel_row& channel,
                                                                       const std::string& text);

// UPLOAD_MAX_MB in bytes, for the composer's script to refuse a file before sending it.
std::int64_t upload_max_bytes(const request_context& ctx);

// The upload ids of the form's `attachment` fields, in order, each once. A malformed one becomes the nil
// UUID, which matches no upload, so the post is refused as naming a file that is not there.
std::vector<std::string> attached_uploads(const request_context& ctx);

// A message or (with parent_id) a reply: checked, rendered from markdown, stored once per client id,
// then any slash command it holds is run. htmx gets the composer's fresh client id and a cleared error
// line; the message itself arrives over the WebSocket like everyone's.
boost::asio::awaitable<net::http_response> post_message(request_context& ctx, const signed_in_user& user,
                                                        const community_access& access,
                                                        const db::channel_row& channel);

} // namespace eelchat::routes
