// Search: GET /community/:id/search?q=...&before=<message id>. The query is taken apart by
// search/query.hpp, the channels are the ones the member may read (search/scope.hpp), the store finds
// the messages. The search box asks with htmx as one types: it gets the results panel for the main
// column; "More results" gets the next page's list alone; without htmx, the whole page.
#include "core/crypto.hpp"
#include "core/text.hpp"
#include "db/channel_store.hpp"
#include "db/search_store.hpp"
#include "limits/guards.hpp"
#include "render/page.hpp"
#include "render/search_results.hpp"
#include "routes/forms.hpp"
#include "routes/guards.hpp"
#include "routes/responses.hpp"
#include "routes/routes.hpp"
#include "routes/shell.hpp"
#include "search/query.hpp"
#include "search/scope.hpp"

#include <map>

namespace eelchat::routes {

namespace asio = boost::asio;

namespace {

struct outcome {
    std::vector<db::search_hit> hits;
    render::search_results_view view;
};

asio::awaitable<db::result<outcome>> run_search(request_context& ctx, const community_access& access,
                                                const std::vector<db::channel_row>& channels,
                                                std::string typed, std::optional<std::string> before) {
    outcome out;
    out.view.community_id = access.community.id;
    out.view.query = typed;
    out.view.first_page = !before.has_value();
    const auto& limits = ctx.svc.limits.cfg;
    auto parsed = search::parse_query(typed, limits.search_max_query);
    if (parsed.problem != search::query_problem::none) {
        out.view.notice = std::string(search::problem_text(parsed.problem));
        co_return out;
    }
    auto scope = search::channels_to_search(channels, parsed.q.in);
    if (scope.unknown_channel) {
        out.view.notice = "No channel you can read is called \u201c" + *scope.unknown_channel + "\u201d.";
        co_return out;
    }
    db::search_request req;
    req.community_id = access.community.id;
    req.channel_ids = std::move(scope.channel_ids);
    req.words = parsed.q.words;
    if (parsed.q.prefix) req.prefix = search::prefix_tsquery(*parsed.q.prefix);
    req.before_id = std::move(before);
    req.limit = static_cast<int>(limits.search_page_size);
    if (!parsed.q.from.empty()) {
        auto named = co_await db::members_named(ctx.svc.db, access.community.id, parsed.q.from);
        if (!named) co_return named.error();
        for (std::size_t i = 0; i < named->size(); ++i) {
            if ((*named)[i].empty()) {
                out.view.notice = "No member is called \u201c" + parsed.q.from[i] + "\u201d.";
                co_return out;
            }
            for (auto& id : (*named)[i])
                req.author_ids.push_back(std::move(id));
        }
    }
    auto page = co_await db::search_messages(ctx.svc.db, std::move(req));
    if (!page) co_return page.error();
    if (page->more && !page->hits.empty())
        out.view.more_url = community_url(access.community.id) + "/search?q=" + text::form_encode(typed) +
                            "&before=" + page->hits.back().message.id;
    out.hits = std::move(page->hits);
    co_return out;
}

asio::awaitable<net::http_response> search_page(request_context& ctx, const signed_in_user& user,
                                                community_access& access) {
    if (!access.membership) co_return redirect_response(community_url(access.community.id));
    auto query = query_of(ctx);
    std::string typed(query.get("q").value_or(""));
    std::optional<std::string> before;
    if (auto b = query.get("before"); b && !b->empty()) {
        before = crypto::normalize_uuid(*b);
        if (!before) co_return error_page(ctx.svc.pages, http::status::bad_request);
    }
    auto channels = co_await db::list_channels(ctx.svc.db, access.community.id, access.membership->id);
    if (!channels) co_return database_failure(ctx, channels.error());
    const bool next_page = before.has_value();
    auto found = co_await run_search(ctx, access, *channels, typed, std::move(before));
    if (!found) co_return database_failure(ctx, found.error());
    std::map<std::string, std::string> titles;
    for (const auto& ch : *channels)
        titles[ch.id] = ch.title;
    auto& tpl = ctx.svc.pages.tpl();
    auto results = render::render_search_results(tpl, found->view, found->hits, titles);
    if (is_htmx(ctx) && next_page) co_return html_response(http::status::ok, std::move(results));
    render::data d;
    d.set("query", typed);
    d.set("results_html", results);
    auto panel = tpl.render("search", d);
    if (is_htmx(ctx)) co_return html_response(http::status::ok, std::move(panel));
    shell s;
    s.title = (typed.empty() ? std::string("Search") : typed + " | Search") + " | " + access.community.title +
              " | eelchat";
    s.access = &access;
    s.channels = std::move(*channels);
    s.main_html = std::move(panel);
    s.search_query = std::move(typed);
    co_return co_await render_shell(ctx, user, std::move(s));
}

} // namespace

void add_search_routes(router& r) {
    r.add(http::verb::get, "/community/:id/search",
          with_community([](request_context& ctx, signed_in_user& user, community_access& access) {
              return search_page(ctx, user, access);
          }));
}

} // namespace eelchat::routes
