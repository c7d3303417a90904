// The route groups of eelchat; app.cpp registers them all on each worker's router.
#pragma once

#include "net/http.hpp"
#include "routes/context.hpp"
#include "routes/router.hpp"

namespace eelchat::routes {

// GET /healthz (the process answers) and GET /readyz (the database answers too).
void add_health_routes(router& r);
// The landing page and passwordless sign-in (routes/auth_routes.cpp).
void add_auth_routes(router& r);
// Single sign-on with the OIDC_ISSUER provider: start and callback (routes/sso_routes.cpp).
void add_sso_routes(router& r);
// The signed-in app: home, channel pages, history, posting, profile (routes/chat_routes.cpp).
void add_chat_routes(router& r);
// Communities: create, join, rename, members and moderation (routes/community_routes.cpp).
void add_community_routes(router& r);
// Channels: create, delete, rename, private members, direct conversations (routes/channel_routes.cpp).
void add_channel_routes(router& r);
// A message's actions: edit, delete, reactions, thread (routes/message_routes.cpp).
void add_message_routes(router& r);
// Searching a community's messages (routes/search_routes.cpp).
void add_search_routes(router& r);
void add_upload_routes(router& r);
// Who the composer offers after "@" (routes/attention_routes.cpp).
void add_attention_routes(router& r);
void add_push_routes(router& r);
// The channel's WebSocket: live messages, with catch-up after a reconnect (routes/realtime_routes.cpp).
void add_realtime_routes(router& r);

// Serves a static asset for GET/HEAD, with ETag revalidation and long caching for versioned URLs;
// nullopt when no asset has that path.
std::optional<net::http_response> serve_asset(const request_context& ctx, std::string_view path,
                                              std::string_view query);

} // namespace eelchat::routes
