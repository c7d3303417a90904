// Files: uploading one to a channel (POST .../uploads, the raw bytes streamed to storage), giving up a
// pending one (DELETE .../uploads/:fid), and downloading a file or a thumbnail (GET .../files/:fid/:name,
// GET .../thumbnails/:fid). Every route sits under its channel's address, so the channel's rules decide
// who may use it: members of the community, and of a private channel or direct conversation its own
// people only. A file not yet posted is its uploader's alone.
//
// Answers to the uploader's script are JSON: the upload, or {"error": "<sentence for the person>"}.
#include "routes/routes.hpp"

#include "core/crypto.hpp"
#include "core/text.hpp"
#include "db/attachment_store.hpp"
#include "limits/guards.hpp"
#include "render/attachments.hpp"
#include "routes/forms.hpp"
#include "routes/guards.hpp"
#include "routes/posting.hpp"
#include "routes/responses.hpp"
#include "routes/shell.hpp"
#include "uploads/blob_body.hpp"
#include "uploads/garbage.hpp"
#include "uploads/names.hpp"
#include "uploads/receive.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace eelchat::routes {

namespace asio = boost::asio;

namespace {

constexpr std::int64_t mib = 1024 * 1024;

net::http_response json_answer(http::status status, const boost::json::object& body) {
    net::http_response res{status, 11};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    res.body() = boost::json::serialize(body);
    return res;
}

net::http_response refusal(http::status status, std::string_view why) {
    boost::json::object o;
    o["error"] = why;
    return json_answer(status, o);
}

std::string too_large_text(std::string_view name, std::optional<std::uint64_t> size, std::int64_t max) {
    std::string out(name);
    if (size)
        out += " is " + text::human_size(static_cast<std::int64_t>(*size));
    else
        out += " is too large";
    return out + ": files can be at most " + text::human_size(max) + ".";
}

std::string over_quota_text(std::string_view name, std::int64_t used, std::int64_t quota) {
    return std::string(name) + " does not fit: your files take " + text::human_size(used) + " of the " +
           text::human_size(quota) + " you may keep. Delete messages with files you no longer need.";
}

// The name the script sent (X-File-Name, as encodeURIComponent made it), made safe; "file" without one.
std::string sent_name(const request_context& ctx) {
    std::string_view header = ctx.req["X-File-Name"];
    auto decoded = url_decode(header, false);
    return uploads::clean_file_name(decoded ? *decoded : std::string(header));
}

asio::awaitable<net::http_response> upload(request_context& ctx, const signed_in_user& user,
                                           const community_access& access, const db::channel_row& channel) {
    if (!ctx.info.body || !ctx.svc.files || !ctx.svc.work)
        co_return refusal(http::status::bad_request, "Send the file as the body of the request.");
    auto& body = *ctx.info.body;
    const auto& cfg = ctx.svc.limits.cfg;
    const std::string name = sent_name(ctx);
    const std::int64_t max = static_cast<std::int64_t>(cfg.upload_max_mb) * mib;
    const auto announced = body.announced_length();
    // Refused from the announced size: the body is never read, and the client hears so at once.
    if (announced && static_cast<std::int64_t>(*announced) > max)
        co_return refusal(http::status::payload_too_large, too_large_text(name, announced, max));
    if (auto limited = take_change_allowance(ctx, user)) {
        auto res = refusal(http::status::too_many_requests, limited->text);
        res.set(http::field::retry_after, limited->retry_after);
        co_return res;
    }
    std::int64_t limit = max;
    const std::int64_t quota = static_cast<std::int64_t>(cfg.upload_quota_mb) * mib;
    std::int64_t used = 0;
    if (quota > 0) {
        auto u = co_await db::uploaded_bytes(ctx.svc.db, user.id);
        if (!u) co_return database_failure(ctx, u.error());
        used = *u;
        if (announced && used + static_cast<std::int64_t>(*announced) > quota)
            co_return refusal(http::status::payload_too_large, over_quota_text(name, used, quota));
        limit = std::min(limit, std::max<std::int64_t>(quota - used, 0));
    }

    uploads::receive_options opts;
    opts.max_bytes = limit;
    opts.preview_max_bytes = static_cast<std::int64_t>(cfg.preview_max_mb) * mib;
    auto got = co_await uploads::receive_file(body, *ctx.svc.files, *ctx.svc.work, opts);
    if (!got) {
        if (got.error() == boost::system::errc::file_too_large) {
            if (limit < max)
                co_return refusal(http::status::payload_too_large, over_quota_text(name, used, quota));
            co_return refusal(http::status::payload_too_large, too_large_text(name, std::nullopt, max));
        }
        if (got.error() == boost::system::errc::connection_aborted) {
            ctx.svc.log.info("upload_broken", {{"id", ctx.info.id}, {"error", got.error().message()}});
            co_return refusal(http::status::bad_request, "The upload was cut off. Try again.");
        }
        co_return database_failure(ctx, got.error());
    }

    db::upload_row row;
    row.channel_id = channel.id;
    row.user_id = user.id;
    row.name = name;
    row.content_type = got->content_type;
    row.size = got->blob.size;
    row.sha256 = got->blob.sha256;
    row.blob_id = got->blob.id;
    row.inline_image = got->inline_image;
    if (got->thumbnail) {
        row.thumbnail_blob_id = got->thumbnail->id;
        row.thumbnail_type = got->thumbnail_type;
        row.width = got->width;
        row.height = got->height;
    }
    auto id = co_await db::insert_upload(ctx.svc.db, row);
    if (!id) {
        co_await ctx.svc.files->remove(row.blob_id);
        if (row.thumbnail_blob_id) co_await ctx.svc.files->remove(*row.thumbnail_blob_id);
        co_return database_failure(ctx, id.error());
    }
    ctx.svc.log.info("file_uploaded", {{"id", ctx.info.id},
                                       {"upload", *id},
                                       {"channel", channel.id},
                                       {"type", row.content_type},
                                       {"bytes", row.size}});
    const std::string href = channel_url(access.community.id, channel.id);
    boost::json::object o;
    o["id"] = *id;
    o["name"] = row.name;
    o["size"] = row.size;
    o["type"] = row.content_type;
    o["label"] = render::kind_label(row.content_type) + ", " + text::human_size(row.size);
    o["url"] = render::file_url(href, *id, row.name);
    if (row.thumbnail_blob_id) {
        o["thumbnail_url"] = render::thumbnail_url(href, *id);
        o["width"] = row.width;
        o["height"] = row.height;
    } else {
        o["thumbnail_url"] = nullptr;
    }
    co_return json_answer(http::status::created, o);
}

asio::awaitable<net::http_response> give_up(request_context& ctx, const signed_in_user& user,
                                            const community_access&, const db::channel_row& channel) {
    auto id = crypto::normalize_uuid(ctx.params.get("fid"));
    if (!id) co_return refusal(http::status::not_found, "There is no such upload.");
    auto gone = co_await db::delete_pending_upload(ctx.svc.db, user.id, channel.id, *id);
    if (!gone) co_return database_failure(ctx, gone.error());
    if (!*gone) co_return refusal(http::status::not_found, "There is no such upload, or it was posted.");
    if (ctx.svc.files) co_await uploads::collect_garbage(ctx.svc.db, *ctx.svc.files);
    co_return net::http_response{http::status::no_content, 11};
}

// The upload of :fid in this channel, if this user may see it: posted, or their own.
asio::awaitable<checked<db::upload_row>> visible_upload(request_context& ctx, const signed_in_user& user,
                                                        const db::channel_row& channel) {
    auto id = crypto::normalize_uuid(ctx.params.get("fid"));
    if (!id) co_return not_found(ctx);
    auto found = co_await db::find_upload(ctx.svc.db, channel.id, *id);
    if (!found) co_return database_failure(ctx, found.error());
    if (!*found || (!(*found)->message_id && (*found)->user_id != user.id)) co_return not_found(ctx);
    co_return std::move(**found);
}

// What every stored file is sent with: never run, never sniffed, never framed, never embedded elsewhere.
void file_headers(net::http_response& res, const db::upload_row& u) {
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Content-Security-Policy", "default-src 'none'; sandbox");
    res.set("Cross-Origin-Resource-Policy", "same-origin");
    res.set(http::field::cache_control, "private, max-age=86400");
    res.set(http::field::etag, "\"" + u.sha256 + "\"");
}

asio::awaitable<net::http_response> send_blob(request_context& ctx, const db::upload_row& u,
                                              const std::string& blob_id, std::string content_type,
                                              std::string disposition, std::string etag_suffix) {
    const std::string etag = "\"" + u.sha256 + etag_suffix + "\"";
    if (ctx.req[http::field::if_none_match] == etag) {
        net::http_response res{http::status::not_modified, 11};
        file_headers(res, u);
        res.set(http::field::etag, etag);
        co_return res;
    }
    auto reader = co_await ctx.svc.files->open(blob_id);
    if (!reader) {
        if (reader.error() == boost::system::errc::no_such_file_or_directory) co_return not_found(ctx);
        co_return database_failure(ctx, reader.error());
    }
    net::http_response res{http::status::ok, 11};
    file_headers(res, u);
    res.set(http::field::etag, etag);
    res.set(http::field::content_type, content_type);
    res.set(http::field::content_disposition, disposition);
    res.content_length((*reader)->size());
    ctx.info.streamed_response = std::make_unique<uploads::blob_body>(std::move(*reader));
    co_return res;
}

asio::awaitable<net::http_response> download(request_context& ctx, const signed_in_user& user,
                                             const community_access&, const db::channel_row& channel) {
    if (!ctx.svc.files) co_return not_found(ctx);
    auto u = co_await visible_upload(ctx, user, channel);
    if (!u.ok()) co_return std::move(u).refusal();
    // Shown in the browser only when we decoded it as a raster image ourselves; anything else, HTML and
    // SVG included, is a download of opaque bytes.
    const bool inline_display = u->inline_image;
    std::string type = inline_display ? u->content_type : "application/octet-stream";
    std::string disposition = uploads::content_disposition(inline_display, u->name);
    co_return co_await send_blob(ctx, *u, u->blob_id, std::move(type), std::move(disposition), "");
}

asio::awaitable<net::http_response> thumbnail(request_context& ctx, const signed_in_user& user,
                                              const community_access&, const db::channel_row& channel) {
    if (!ctx.svc.files) co_return not_found(ctx);
    auto u = co_await visible_upload(ctx, user, channel);
    if (!u.ok()) co_return std::move(u).refusal();
    if (!u->thumbnail_blob_id) co_return not_found(ctx);
    std::string disposition = uploads::content_disposition(true, "thumbnail-" + u->name);
    co_return co_await send_blob(ctx, *u, *u->thumbnail_blob_id, u->thumbnail_type, std::move(disposition),
                                 "-t");
}

} // namespace

void add_upload_routes(router& r) {
    const std::string base = "/community/:id/channel/:cid";
    r.add(http::verb::post, base + "/uploads", with_channel(upload), body_mode::streamed);
    r.add(http::verb::delete_, base + "/uploads/:fid", with_channel(give_up));
    r.add(http::verb::get, base + "/files/:fid/:name", with_channel(download));
    r.add(http::verb::get, base + "/thumbnails/:fid", with_channel(thumbnail));
}

} // namespace eelchat::routes
