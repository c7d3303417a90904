#include "routes/posting.hpp"

#include "conversations/mentions.hpp"
#include "core/crypto.hpp"
#include "db/attachment_store.hpp"
#include "db/attention_store.hpp"
#include "db/message_batcher.hpp"
#include "db/message_store.hpp"
#include "feeds/commands.hpp"
#include "limits/guards.hpp"
#include "render/markdown.hpp"
#include "render/page.hpp"
#include "routes/forms.hpp"
#include "routes/responses.hpp"
#include "routes/session.hpp"
#include "routes/shell.hpp"

namespace eelchat::routes {

namespace asio = boost::asio;

std::string_view message_problem_text(text::message_problem p) {
    switch (p) {
    case text::message_problem::empty:
        return "Type a message first: empty messages are not sent.";
    case text::message_problem::too_long:
        return "That message is too long: the limit is 4,000 characters.";
    case text::message_problem::invalid_utf8:
        return "That message contains invalid text encoding.";
    case text::message_problem::direction_controls:
        return "That message contains invisible text-direction controls (such as U+202E), which can disguise "
               "what it says. Remove them and send it again.";
    case text::message_problem::none:
        break;
    }
    return "";
}

std::optional<change_refusal> take_change_allowance(request_context& ctx, const signed_in_user& user) {
    auto& l = ctx.svc.limits;
    auto verdict = l.posts_by_user.take(user.id);
    if (verdict.allowed) verdict = l.posts_by_address.take(client_bucket(ctx));
    if (verdict.allowed) return std::nullopt;
    ctx.svc.log.info("change_rate_limited", {{"id", ctx.info.id}, {"user", user.id}});
    const long s = std::max<long>(1, verdict.retry_after.count());
    return change_refusal{"You are sending messages too fast. Wait " + std::to_string(s) +
                              (s == 1 ? " second" : " seconds") + ", then send it again.",
                          std::to_string(s)};
}

asio::awaitable<db::result<rendered_text>> render_with_mentions(request_context& ctx,
                                                                const community_access& access,
                                                                const db::channel_row& channel,
                                                                const std::string& text) {
    rendered_text out;
    out.html = render::markdown_to_html(text);
    auto wanted = conversations::find_mentions(text);
    if (wanted.channel && !access.admin() && !access.community.everyone_may_mention_channel) {
        out.refusal = "Only admins may mention @channel in this community. Remove it and send again.";
        co_return out;
    }
    std::vector<std::pair<std::string, std::string>> resolved;
    if (!wanted.names.empty()) {
        std::vector<std::string> folded;
        for (const auto& n : wanted.names)
            folded.push_back(conversations::fold_name(n));
        auto found = co_await db::resolve_mentions(ctx.svc.db, channel.id, std::move(folded));
        if (!found) co_return found.error();
        resolved = std::move(*found);
    }
    out.mention_channel = wanted.channel;
    if (resolved.empty() && !wanted.channel) co_return out;
    out.html = conversations::link_mentions(out.html, resolved, wanted.channel);
    for (const auto& [_, id] : resolved)
        if (std::find(out.mentions.begin(), out.mentions.end(), id) == out.mentions.end())
            out.mentions.push_back(id);
    co_return out;
}

std::int64_t upload_max_bytes(const request_context& ctx) {
    return static_cast<std::int64_t>(ctx.svc.limits.cfg.upload_max_mb) * 1024 * 1024;
}

std::vector<std::string> attached_uploads(const request_context& ctx) {
    std::vector<std::string> ids;
    if (!ctx.form) return ids;
    for (auto value : ctx.form->get_all("attachment")) {
        auto id = crypto::normalize_uuid(value);
        // A malformed id becomes the nil UUID, which no upload has: the pending count then falls short.
        std::string kept = id ? *id : std::string("00000000-0000-0000-0000-000000000000");
        if (std::find(ids.begin(), ids.end(), kept) == ids.end()) ids.push_back(std::move(kept));
    }
    return ids;
}

asio::awaitable<net::http_response> post_message(request_context& ctx, const signed_in_user& user,
                                                 const community_access& access,
                                                 const db::channel_row& channel) {
    auto& tpl = ctx.svc.pages.tpl();
    const std::string back = channel_url(access.community.id, channel.id);
    const std::string parent_field = field(ctx, "parent_id");
    const std::string_view prefix = parent_field.empty() ? "" : "thread-";
    auto refuse = [&](std::string_view why, http::status status = http::status::unprocessable_entity) {
        if (!is_htmx(ctx)) return error_page(ctx.svc.pages, status);
        // Only the error line changes; the typed text stays in the box to be fixed.
        net::http_response res = html_response(status, compose_error(tpl, prefix, why, true));
        return res;
    };
    const std::string text = text::normalize_newlines(field(ctx, "text"));
    auto files = attached_uploads(ctx);
    if (files.size() > ctx.svc.limits.cfg.upload_max_per_message)
        co_return refuse("A message can carry at most " +
                         std::to_string(ctx.svc.limits.cfg.upload_max_per_message) +
                         " files. Remove some and send again.");
    // A message may be only its files.
    if (auto p = text::check_message_text(text);
        p != text::message_problem::none && !(p == text::message_problem::empty && !files.empty()))
        co_return refuse(message_problem_text(p));
    auto client_id = crypto::normalize_uuid(field(ctx, "client_id"));
    if (!client_id) co_return refuse("This page is out of date. Reload it and send your message again.");
    std::optional<std::string> parent_id;
    if (!parent_field.empty()) {
        auto id = crypto::normalize_uuid(parent_field);
        if (!id) co_return refuse("That thread is gone. Close it and reply again.");
        auto parent = co_await db::find_message(ctx.svc.db, channel.id, *id);
        if (!parent) co_return database_failure(ctx, parent.error());
        if (!*parent || (*parent)->parent_id || (*parent)->deleted)
            co_return refuse("The message of this thread was deleted; replies are closed.");
        parent_id = std::move(*id);
    }
    if (auto refusal = take_change_allowance(ctx, user)) {
        net::http_response res = refuse(refusal->text, http::status::too_many_requests);
        res.set(http::field::retry_after, refusal->retry_after);
        co_return res;
    }
    if (!files.empty()) {
        auto pending = co_await db::count_pending_uploads(ctx.svc.db, user.id, channel.id, files);
        if (!pending) co_return database_failure(ctx, pending.error());
        if (static_cast<std::size_t>(*pending) != files.size())
            co_return refuse(
                "A file of this message is no longer there. Remove it, attach it again and send.");
    }

    // Rendered here, once: every page and every subscriber shows the stored HTML.
    auto rendered = co_await render_with_mentions(ctx, access, channel, text);
    if (!rendered) co_return database_failure(ctx, rendered.error());
    if (!rendered->refusal.empty()) co_return refuse(rendered->refusal);
    db::new_message m{
        channel.id, access.membership->id, text, std::move(rendered->html), std::move(parent_id), *client_id};
    m.mentions = std::move(rendered->mentions);
    m.mention_channel = rendered->mention_channel;
    m.attachments = std::move(files);
    auto posted = co_await ctx.svc.messages.post(std::move(m));
    if (!posted) {
        if (posted.error() == db::sqlstate::foreign_key_violation) co_return not_found(ctx);
        co_return database_failure(ctx, posted.error());
    }
    ctx.svc.log.info("message_posted", {{"id", ctx.info.id},
                                        {"channel", channel.id},
                                        {"seq", posted->seq},
                                        {"duplicate", posted->duplicate}});
    // A command runs once, however often the form is retried; its reply is numbered after the message.
    if (!posted->duplicate && prefix.empty()) {
        auto command = feeds::parse_slash_command(text);
        if (command.what != feeds::slash_command::kind::none) {
            feeds::command_context where{ctx.svc.db, ctx.svc.log, ctx.info.id, channel.id};
            where.user_id = user.id;
            where.admin = access.admin();
            where.allow_private = ctx.svc.cfg.feeds_allow_private;
            where.poller = ctx.svc.feeds;
            where.max_per_channel = static_cast<int>(ctx.svc.limits.cfg.feeds_per_channel);
            where.max_per_user = static_cast<int>(ctx.svc.limits.cfg.feeds_per_user);
            co_await feeds::run_slash_command(where, std::move(command));
        }
    }
    if (!is_htmx(ctx)) co_return redirect_response(back);
    co_return html_response(http::status::ok,
                            client_id_input(tpl, prefix, true) + compose_error(tpl, prefix, "", true));
}

} // namespace eelchat::routes
