// What the app's pages share: the shell around a page's main column (community switcher, channels,
// direct messages, account), the addresses of communities and channels, and small form helpers.
#pragma once

#include "db/chat_store.hpp"
#include "routes/context.hpp"
#include "routes/guards.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace eelchat::render {
class templates;
}

namespace eelchat::routes {

std::string community_url(const std::string& id);
std::string channel_url(const std::string& community_id, const std::string& channel_id);

// A field of the request's form ("" when absent).
std::string field(const request_context& ctx, std::string_view name);
bool is_htmx(const request_context& ctx);
// The request's query string, parsed (an unparsable one reads as empty).
form_data query_of(const request_context& ctx);
// The query string's value of `name` ("" when absent).
std::string query_value(const request_context& ctx, std::string_view name);

struct shell {
    std::string title = "eelchat";
    const community_access* access = nullptr;
    std::vector<db::channel_row> channels; // the ones this member may see (db::list_channels)
    std::string active_channel;
    std::string main_html;
    std::string search_query; // shown in the search box (the search page's own query)
};
// The whole page: the shell with `s.main_html` in its main column.
boost::asio::awaitable<net::http_response> render_shell(request_context& ctx, const signed_in_user& user,
                                                        shell s);
// A form of its own: for htmx a modal dialog (swapped into the page's #modal) or, with `in_main`, a panel
// that takes the place of the page's main column (the create forms: nothing of the page under it keeps a
// field of the same label); without htmx a page of its own.
boost::asio::awaitable<net::http_response> dialog_response(request_context& ctx, const signed_in_user& user,
                                                           std::string title, std::string html,
                                                           bool in_main = false);

// A name for something created without one: "Channel #317".
std::string random_title(std::string_view prefix);
// The compose forms' hidden client id (a fresh UUID) and error line; `prefix` "" for the channel's
// composer, "thread-" for the thread's.
std::string client_id_input(render::templates& tpl, std::string_view prefix, bool oob);
std::string compose_error(render::templates& tpl, std::string_view prefix, std::string_view error, bool oob);

} // namespace eelchat::routes
