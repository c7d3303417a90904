#include "db/archive_store.hpp"

#include "db/params.hpp"

#include <charconv>

namespace eelchat::db {

namespace asio = boost::asio;

namespace {

std::int64_t to_count(std::string_view s) {
    std::int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

// Each page query takes the community ($1), the page size ($2) and the previous page's key ($3, $4),
// and returns the line first, then the key columns.
const char* const members_page_sql =
    "SELECT json_build_object('email', u.email, 'display_name', u.display_name, 'roles', to_json(m.roles),"
    "   'joined_at', m.joined_at)::text, m.id"
    " FROM memberships m JOIN users u ON u.id = m.user_id"
    " WHERE m.community_id = $1 AND ($3::uuid IS NULL OR m.id > $3::uuid)"
    " ORDER BY m.id LIMIT $2";

const char* const channels_page_sql =
    "SELECT json_build_object('id', c.id, 'title', c.title, 'kind', c.kind, 'topic', c.topic,"
    "   'created_at', c.created_at, 'members', CASE WHEN c.kind = 'public' THEN NULL ELSE"
    "   (SELECT coalesce(json_agg(u.email ORDER BY u.email), '[]') FROM channel_members cm"
    "    JOIN memberships m ON m.id = cm.membership_id JOIN users u ON u.id = m.user_id"
    "    WHERE cm.channel_id = c.id) END)::text, c.id"
    " FROM channels c WHERE c.community_id = $1 AND ($3::uuid IS NULL OR c.id > $3::uuid)"
    " ORDER BY c.id LIMIT $2";

// Messages and reactions are read channel by channel ($1 is a channel), along the (channel_id, seq) index,
// so that each page costs its own rows whatever the size of the community.
const char* const messages_page_sql =
    "SELECT json_build_object('id', x.id, 'channel', x.channel_id, 'author', u.email, 'system', x.is_system,"
    "   'text', CASE WHEN x.deleted_at IS NULL THEN x.text END,"
    "   'html', CASE WHEN x.deleted_at IS NULL THEN x.html END,"
    "   'created_at', x.created_at, 'edited_at', x.edited_at, 'deleted', x.deleted_at IS NOT NULL,"
    "   'parent', x.parent_id,"
    "   'mentions', CASE WHEN x.mentions IS NOT NULL THEN"
    "     (SELECT coalesce(json_agg(mu.email ORDER BY e.i), '[]') FROM unnest(x.mentions) WITH ORDINALITY"
    "      e(mid, i) JOIN memberships mm ON mm.id = e.mid JOIN users mu ON mu.id = mm.user_id) END,"
    "   'mention_channel', x.mention_channel)::text, x.seq"
    " FROM messages x LEFT JOIN memberships m ON m.id = x.membership_id LEFT JOIN users u ON u.id = m.user_id"
    " WHERE x.channel_id = $1 AND ($3::bigint IS NULL OR x.seq > $3::bigint)"
    " ORDER BY x.seq LIMIT $2";

const char* const reactions_page_sql =
    "SELECT json_build_object('message', r.message_id, 'emoji', r.emoji, 'member', u.email,"
    "   'created_at', r.created_at)::text, x.seq, r.emoji, r.membership_id"
    " FROM messages x JOIN reactions r ON r.message_id = x.id"
    " JOIN memberships m ON m.id = r.membership_id JOIN users u ON u.id = m.user_id"
    " WHERE x.channel_id = $1 AND x.reactions IS NOT NULL AND ($3::bigint IS NULL OR (x.seq >= $3::bigint"
    "   AND (x.seq, r.emoji, r.membership_id) > ($3::bigint, $4, $5::uuid)))"
    " ORDER BY x.seq, r.emoji, r.membership_id LIMIT $2";

// Uploads of the channel's messages that an export carries: not a deleted message's, nor one without an
// author (an upload row needs the account that sent it). Keyed by (seq, position, id).
const char* const uploads_where =
    " FROM messages x JOIN uploads f ON f.message_id = x.id"
    " WHERE x.channel_id = $1 AND x.attachments > 0 AND x.deleted_at IS NULL AND x.membership_id IS NOT NULL"
    "   AND ($3::bigint IS NULL OR (x.seq, f.position, f.id) > ($3::bigint, $4::int, $5::uuid))"
    " ORDER BY x.seq, f.position, f.id LIMIT $2";

const std::string uploads_page_sql =
    std::string(
        "SELECT json_build_object('id', f.id, 'message', f.message_id, 'position', f.position,"
        "   'name', f.name, 'content_type', f.content_type, 'size', f.size, 'sha256', f.sha256,"
        "   'inline_image', f.inline_image, 'width', f.width, 'height', f.height,"
        "   'has_thumbnail', f.thumbnail_blob_id IS NOT NULL, 'thumbnail_type', f.thumbnail_type)::text,"
        "   x.seq, f.position, f.id") +
    uploads_where;

const std::string files_page_sql =
    std::string("SELECT f.id, f.blob_id, f.thumbnail_blob_id, x.seq, f.position, f.id") + uploads_where;

const char* page_sql(archive_part part) {
    switch (part) {
    case archive_part::members:
        return members_page_sql;
    case archive_part::channels:
        return channels_page_sql;
    case archive_part::messages:
        return messages_page_sql;
    case archive_part::reactions:
        return reactions_page_sql;
    case archive_part::uploads:
        return uploads_page_sql.c_str();
    }
    return members_page_sql;
}

// Rows of jsonb_to_recordset($1) in array order: the staging tables keep the archive's order in `ord`.
const char* stage_sql(archive_part part) {
    switch (part) {
    case archive_part::members:
        return "INSERT INTO import_members (email, display_name, roles, joined_at)"
               " SELECT email, display_name, roles, joined_at FROM jsonb_to_recordset($1::jsonb)"
               " AS x(email text, display_name text, roles text[], joined_at timestamptz)";
    case archive_part::channels:
        return "INSERT INTO import_channels (id, title, kind, topic, created_at, members)"
               " SELECT id, title, kind, coalesce(topic, ''), created_at, members FROM "
               "jsonb_to_recordset($1::jsonb)"
               " AS x(id uuid, title text, kind text, topic text, created_at timestamptz, members text[])";
    case archive_part::messages:
        return "INSERT INTO import_messages (id, channel, author, system, text, html, created_at, edited_at,"
               "   deleted, parent, mentions, mention_channel)"
               " SELECT id, channel, author, coalesce(system, false), coalesce(text, ''), html, created_at,"
               "   edited_at, coalesce(deleted, false), parent, mentions, coalesce(mention_channel, false)"
               " FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, channel uuid, author text, system boolean,"
               "   text text, html text, created_at timestamptz, edited_at timestamptz, deleted boolean,"
               "   parent uuid, mentions text[], mention_channel boolean)";
    case archive_part::reactions:
        return "INSERT INTO import_reactions (message, emoji, member, created_at)"
               " SELECT message, emoji, member, coalesce(created_at, now()) FROM "
               "jsonb_to_recordset($1::jsonb)"
               " AS x(message uuid, emoji text, member text, created_at timestamptz)";
    case archive_part::uploads:
        return "INSERT INTO import_uploads (id, message, position, name, content_type, size, sha256,"
               "   inline_image, width, height, has_thumbnail, thumbnail_type)"
               " SELECT id, message, coalesce(position, 0), name, content_type, size, lower(sha256),"
               "   coalesce(inline_image, false), width, height, coalesce(has_thumbnail, false), "
               "thumbnail_type"
               " FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, message uuid, position int, name text,"
               "   content_type text, size bigint, sha256 text, inline_image boolean, width int, height int,"
               "   has_thumbnail boolean, thumbnail_type text)";
    }
    return "";
}

} // namespace

asio::awaitable<result<std::optional<archive_community>>>
begin_export(connection& conn, std::string community_id, std::chrono::steady_clock::time_point deadline) {
    auto begun = co_await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", deadline);
    if (!begun) co_return begun.error();
    auto args = params(std::move(community_id));
    auto r = co_await conn.query("SELECT c.title,"
                                 " (SELECT count(*) FROM memberships WHERE community_id = c.id),"
                                 " (SELECT count(*) FROM channels WHERE community_id = c.id),"
                                 " (SELECT count(*) FROM messages WHERE community_id = c.id),"
                                 " (SELECT count(*) FROM reactions r JOIN messages x ON x.id = r.message_id "
                                 "WHERE x.community_id = c.id),"
                                 " (SELECT count(*) FROM uploads f JOIN messages x ON x.id = f.message_id"
                                 "  WHERE x.community_id = c.id AND x.deleted_at IS NULL"
                                 "  AND x.membership_id IS NOT NULL)"
                                 " FROM communities c WHERE c.id = $1::uuid",
                                 args, deadline);
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<archive_community>();
    archive_community c;
    c.title = std::string(r->get(0, 0));
    c.members = to_count(r->get(0, 1));
    c.channels = to_count(r->get(0, 2));
    c.messages = to_count(r->get(0, 3));
    c.reactions = to_count(r->get(0, 4));
    c.uploads = to_count(r->get(0, 5));
    co_return std::optional<archive_community>(std::move(c));
}

asio::awaitable<result<std::vector<std::string>>>
export_channel_ids(connection& conn, std::string community_id, std::optional<std::string> after, int limit,
                   std::chrono::steady_clock::time_point deadline) {
    auto args = params(std::move(community_id), limit, std::move(after));
    auto r = co_await conn.query("SELECT id FROM channels WHERE community_id = $1"
                                 " AND ($3::uuid IS NULL OR id > $3::uuid) ORDER BY id LIMIT $2",
                                 args, deadline);
    if (!r) co_return r.error();
    std::vector<std::string> out;
    for (int i = 0; i < r->rows(); ++i)
        out.emplace_back(r->get(i, 0));
    co_return out;
}

asio::awaitable<result<archive_page>> export_page(connection& conn, archive_part part, std::string scope_id,
                                                  std::vector<std::string> after, int limit,
                                                  std::chrono::steady_clock::time_point deadline) {
    std::vector<param> args = params(std::move(scope_id), limit);
    const std::size_t keys = part == archive_part::reactions || part == archive_part::uploads ? 3 : 1;
    for (std::size_t i = 0; i < keys; ++i)
        args.push_back(i < after.size() ? param(after[i]) : param());
    auto r = co_await conn.query(page_sql(part), args, deadline);
    if (!r) co_return r.error();
    archive_page page;
    page.lines.reserve(static_cast<std::size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i)
        page.lines.emplace_back(r->get(i, 0));
    if (r->rows() == limit)
        for (std::size_t k = 0; k < keys; ++k)
            page.next_after.emplace_back(r->get(r->rows() - 1, static_cast<int>(k) + 1));
    co_return page;
}

asio::awaitable<result<archive_files_page>>
export_files_page(connection& conn, std::string channel_id, std::vector<std::string> after, int limit,
                  std::chrono::steady_clock::time_point deadline) {
    std::vector<param> args = params(std::move(channel_id), limit);
    for (std::size_t i = 0; i < 3; ++i)
        args.push_back(i < after.size() ? param(after[i]) : param());
    auto r = co_await conn.query(files_page_sql.c_str(), args, deadline);
    if (!r) co_return r.error();
    archive_files_page page;
    for (int i = 0; i < r->rows(); ++i)
        page.files.push_back(
            archive_file{std::string(r->get(i, 0)), std::string(r->get(i, 1)), optional_text(*r, i, 2)});
    if (r->rows() == limit)
        for (int k = 3; k < 6; ++k)
            page.next_after.emplace_back(r->get(r->rows() - 1, k));
    co_return page;
}

asio::awaitable<result<void>> begin_import(connection& conn, std::chrono::steady_clock::time_point deadline) {
    co_return co_await conn.execute(
        "BEGIN; SET LOCAL eelchat.importing = 'on';" // history: the notification trigger tells nobody
        "CREATE TEMP TABLE import_members (ord bigserial, email text, display_name text, roles text[],"
        "  joined_at timestamptz) ON COMMIT DROP;"
        "CREATE TEMP TABLE import_channels (ord bigserial, id uuid, new_id uuid NOT NULL DEFAULT "
        "gen_random_uuid(),"
        "  title text, kind text, topic text, created_at timestamptz, members text[]) ON COMMIT DROP;"
        "CREATE TEMP TABLE import_messages (ord bigserial, id uuid, new_id uuid NOT NULL DEFAULT "
        "gen_random_uuid(),"
        "  channel uuid, author text, system boolean, text text, html text, created_at timestamptz,"
        "  edited_at timestamptz, deleted boolean, parent uuid, mentions text[], mention_channel boolean)"
        "  ON COMMIT DROP;"
        "CREATE TEMP TABLE import_reactions (ord bigserial, message uuid, emoji text, member text,"
        "  created_at timestamptz) ON COMMIT DROP;"
        "CREATE TEMP TABLE import_uploads (ord bigserial, id uuid, message uuid, position int, name text,"
        "  content_type text, size bigint, sha256 text, inline_image boolean, width int, height int,"
        "  has_thumbnail boolean, thumbnail_type text, blob_id uuid, thumbnail_blob_id uuid) ON COMMIT DROP;"
        "CREATE INDEX ON import_uploads (id);",
        deadline);
}

asio::awaitable<result<void>> stage_lines(connection& conn, archive_part part,
                                          const std::vector<std::string>& lines,
                                          std::chrono::steady_clock::time_point deadline) {
    if (lines.empty()) co_return result<void>();
    std::string array = "[";
    for (const auto& l : lines) {
        if (array.size() > 1) array += ',';
        array += l;
    }
    array += ']';
    auto args = params(std::move(array));
    auto r = co_await conn.query(stage_sql(part), args, deadline);
    if (!r) co_return r.error();
    co_return result<void>();
}

asio::awaitable<result<std::optional<expected_file>>>
expect_file(connection& conn, std::string upload_id, bool thumbnail,
            std::chrono::steady_clock::time_point deadline) {
    auto args = params(std::move(upload_id), thumbnail);
    auto r = co_await conn.query(
        "SELECT CASE WHEN $2 THEN -1 ELSE size END, CASE WHEN $2 THEN '' ELSE sha256 END"
        " FROM import_uploads WHERE id = $1::uuid"
        "   AND CASE WHEN $2 THEN has_thumbnail AND thumbnail_blob_id IS NULL ELSE blob_id IS NULL END"
        " ORDER BY ord LIMIT 1",
        args, deadline);
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<expected_file>();
    expected_file e;
    e.size = to_count(r->get(0, 0));
    e.sha256 = std::string(r->get(0, 1));
    co_return std::optional<expected_file>(std::move(e));
}

asio::awaitable<result<void>> stage_file(connection& conn, std::string upload_id, bool thumbnail,
                                         std::string blob_id,
                                         std::chrono::steady_clock::time_point deadline) {
    auto args = params(std::move(upload_id), thumbnail, std::move(blob_id));
    auto r = co_await conn.query("UPDATE import_uploads SET"
                                 " blob_id = CASE WHEN $2 THEN blob_id ELSE $3::uuid END,"
                                 " thumbnail_blob_id = CASE WHEN $2 THEN $3::uuid ELSE thumbnail_blob_id END"
                                 " WHERE id = $1::uuid",
                                 args, deadline);
    if (!r) co_return r.error();
    co_return result<void>();
}

asio::awaitable<result<std::optional<std::string>>>
check_staged(connection& conn, std::chrono::steady_clock::time_point deadline) {
    // Indexes first: the checks and the inserts join the staged rows by their old ids and emails.
    auto indexed = co_await conn.execute(
        "CREATE INDEX ON import_members (lower(btrim(email)));"
        "CREATE INDEX ON import_channels (id); CREATE INDEX ON import_messages (id);"
        "ANALYZE import_members; ANALYZE import_channels; ANALYZE import_messages; ANALYZE import_reactions;"
        "ANALYZE import_uploads;",
        deadline);
    if (!indexed) co_return indexed.error();
    std::vector<param> none;
    auto r = co_await conn.query(
        "WITH emails AS (SELECT DISTINCT lower(btrim(email)) AS email FROM import_members)"
        " SELECT problem FROM ("
        " (SELECT 1 AS k, 'members.jsonl: ' || email || ' is listed twice' AS problem FROM import_members"
        "   GROUP BY email HAVING count(*) > 1 LIMIT 1)"
        " UNION ALL (SELECT 2, 'channels.jsonl: channel ' || id || ' is listed twice' FROM import_channels"
        "   GROUP BY id HAVING count(*) > 1 LIMIT 1)"
        " UNION ALL (SELECT 3, 'channels.jsonl: channel ' || c.id || ' names ' || e.email || ', who is not in"
        " members.jsonl' FROM import_channels c CROSS JOIN LATERAL unnest(c.members) e(email)"
        "   WHERE lower(btrim(e.email)) NOT IN (SELECT email FROM emails) LIMIT 1)"
        " UNION ALL (SELECT 4, 'messages.jsonl: message ' || id || ' is listed twice' FROM import_messages"
        "   GROUP BY id HAVING count(*) > 1 LIMIT 1)"
        " UNION ALL (SELECT 5, 'messages.jsonl: message ' || m.id || ' is in an unknown channel ' || "
        "m.channel"
        "   FROM import_messages m WHERE NOT EXISTS (SELECT 1 FROM import_channels c WHERE c.id = m.channel)"
        "   LIMIT 1)"
        " UNION ALL (SELECT 6, 'messages.jsonl: message ' || m.id || ' is by ' || m.author || ', who is not "
        "in"
        " members.jsonl' FROM import_messages m WHERE m.author IS NOT NULL"
        "   AND lower(btrim(m.author)) NOT IN (SELECT email FROM emails) LIMIT 1)"
        " UNION ALL (SELECT 7, 'messages.jsonl: message ' || m.id || ' replies to an unknown message '"
        "   || m.parent FROM import_messages m WHERE m.parent IS NOT NULL AND NOT EXISTS"
        "   (SELECT 1 FROM import_messages p WHERE p.id = m.parent AND p.channel = m.channel) LIMIT 1)"
        " UNION ALL (SELECT 8, 'messages.jsonl: message ' || m.id || ' mentions ' || e.email || ', who is not"
        " in members.jsonl' FROM import_messages m CROSS JOIN LATERAL unnest(m.mentions) e(email)"
        "   WHERE lower(btrim(e.email)) NOT IN (SELECT email FROM emails) LIMIT 1)"
        " UNION ALL (SELECT 9, 'reactions.jsonl: a reaction to an unknown message ' || r.message"
        "   FROM import_reactions r WHERE NOT EXISTS (SELECT 1 FROM import_messages m WHERE m.id = r.message)"
        "   LIMIT 1)"
        " UNION ALL (SELECT 10, 'reactions.jsonl: a reaction by ' || r.member || ', who is not in"
        " members.jsonl' FROM import_reactions r WHERE lower(btrim(r.member)) NOT IN (SELECT email FROM "
        "emails)"
        "   LIMIT 1)"
        " UNION ALL (SELECT 11, 'uploads.jsonl: upload ' || id || ' is listed twice' FROM import_uploads"
        "   GROUP BY id HAVING count(*) > 1 LIMIT 1)"
        " UNION ALL (SELECT 12, 'uploads.jsonl: upload ' || f.id || ' is on an unknown message ' || f.message"
        "   FROM import_uploads f WHERE NOT EXISTS (SELECT 1 FROM import_messages m WHERE m.id = f.message)"
        "   LIMIT 1)"
        " UNION ALL (SELECT 13, 'uploads.jsonl: upload ' || f.id || ' is on a deleted message or one without"
        " an author' FROM import_uploads f JOIN import_messages m ON m.id = f.message"
        "   WHERE m.deleted OR m.system OR m.author IS NULL LIMIT 1)"
        " UNION ALL (SELECT 14, 'files/' || id || CASE WHEN blob_id IS NULL THEN '' ELSE '.thumbnail' END"
        "   || ' is missing' FROM import_uploads WHERE blob_id IS NULL"
        "   OR (has_thumbnail AND thumbnail_blob_id IS NULL) LIMIT 1)"
        " ) p ORDER BY k LIMIT 1",
        none, deadline);
    if (!r) co_return r.error();
    if (r->rows() == 0) co_return std::optional<std::string>();
    co_return std::optional<std::string>(std::string(r->get(0, 0)));
}

asio::awaitable<result<import_counts>> create_from_staged(connection& conn, std::string title,
                                                          std::chrono::steady_clock::time_point deadline) {
    import_counts out;
    const std::vector<param> none;
    auto title_args = params(std::move(title));
    auto community =
        co_await conn.query("INSERT INTO communities (title) VALUES ($1) RETURNING id", title_args, deadline);
    if (!community) co_return community.error();
    out.community_id = std::string(community->get(0, 0));
    auto args = params(out.community_id);

    // People are matched by email: an existing user keeps their account and name.
    auto users = co_await conn.query(
        "INSERT INTO users (email, display_name, joined_at)"
        " SELECT DISTINCT ON (lower(btrim(email))) lower(btrim(email)), display_name, joined_at"
        " FROM import_members ORDER BY lower(btrim(email)), ord ON CONFLICT (email) DO NOTHING",
        none, deadline);
    if (!users) co_return users.error();
    out.new_users = users->affected_rows();
    auto members =
        co_await conn.query("INSERT INTO memberships (user_id, community_id, roles, joined_at)"
                            " SELECT u.id, $1, coalesce(i.roles, '{}'), i.joined_at FROM import_members i"
                            " JOIN users u ON u.email = lower(btrim(i.email)) ORDER BY i.ord",
                            args, deadline);
    if (!members) co_return members.error();
    out.members = members->affected_rows();
    // The membership of each archive email in the new community, for the statements below.
    auto mapped = co_await conn.query(
        "CREATE TEMP TABLE import_member_ids ON COMMIT DROP AS"
        " SELECT u.email, m.id FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.community_id = $1",
        args, deadline);
    if (!mapped) co_return mapped.error();

    auto channels = co_await conn.query(
        "INSERT INTO channels (id, community_id, title, kind, topic, created_at)"
        " SELECT new_id, $1, title, kind, topic, created_at FROM import_channels ORDER BY ord",
        args, deadline);
    if (!channels) co_return channels.error();
    out.channels = channels->affected_rows();
    auto channel_members =
        co_await conn.query("WITH cm AS (INSERT INTO channel_members (channel_id, membership_id)"
                            "   SELECT DISTINCT c.new_id, im.id FROM import_channels c CROSS JOIN LATERAL "
                            "unnest(c.members) e(email)"
                            "   JOIN import_member_ids im ON im.email = lower(btrim(e.email)) RETURNING "
                            "channel_id, membership_id)"
                            " UPDATE channels ch SET direct_key = k.key FROM"
                            "   (SELECT channel_id, string_agg(membership_id::text, ',' ORDER BY "
                            "membership_id::text COLLATE \"C\")"
                            "    AS key FROM cm GROUP BY channel_id) k"
                            " WHERE ch.id = k.channel_id AND ch.kind = 'direct'",
                            none, deadline);
    if (!channel_members) co_return channel_members.error();

    // Renumbered 1, 2, ... per channel in the archive's order; replies and mentions point at the new ids.
    auto messages = co_await conn.query(
        "INSERT INTO messages (id, channel_id, community_id, seq, membership_id, is_system, text, html,"
        "   created_at, edited_at, deleted_at, parent_id, reply_count, mentions, mention_channel, "
        "attachments)"
        " SELECT m.new_id, c.new_id, $1, row_number() OVER (PARTITION BY m.channel ORDER BY m.ord),"
        "   CASE WHEN m.system THEN NULL ELSE a.id END, m.system,"
        "   CASE WHEN m.deleted THEN '' ELSE m.text END, CASE WHEN m.deleted THEN NULL ELSE m.html END,"
        "   m.created_at, m.edited_at, CASE WHEN m.deleted THEN coalesce(m.edited_at, m.created_at) END,"
        "   p.new_id, coalesce(rc.n, 0),"
        "   CASE WHEN m.mentions IS NOT NULL THEN ARRAY(SELECT im.id FROM unnest(m.mentions) WITH ORDINALITY"
        "     e(email, i) JOIN import_member_ids im ON im.email = lower(btrim(e.email)) ORDER BY e.i) END,"
        "   m.mention_channel, coalesce(fc.n, 0)"
        " FROM import_messages m JOIN import_channels c ON c.id = m.channel"
        " LEFT JOIN import_member_ids a ON a.email = lower(btrim(m.author))"
        " LEFT JOIN import_messages p ON p.id = m.parent"
        " LEFT JOIN (SELECT parent, count(*) AS n FROM import_messages WHERE parent IS NOT NULL GROUP BY "
        "parent) rc"
        "   ON rc.parent = m.id"
        " LEFT JOIN (SELECT message, count(*) AS n FROM import_uploads GROUP BY message) fc ON fc.message = "
        "m.id"
        " ORDER BY m.ord",
        args, deadline);
    if (!messages) co_return messages.error();
    out.messages = messages->affected_rows();
    auto seqs = co_await conn.query("UPDATE channels c SET last_seq = coalesce((SELECT max(seq) FROM "
                                    "messages WHERE channel_id = c.id), 0)"
                                    " WHERE c.community_id = $1",
                                    args, deadline);
    if (!seqs) co_return seqs.error();

    // One statement: the reactions trigger then writes each message's summary once.
    auto reactions =
        co_await conn.query("INSERT INTO reactions (message_id, membership_id, emoji, created_at)"
                            " SELECT m.new_id, im.id, r.emoji, r.created_at FROM import_reactions r"
                            " JOIN import_messages m ON m.id = r.message JOIN import_member_ids im ON "
                            "im.email = lower(btrim(r.member))"
                            " ORDER BY r.ord ON CONFLICT DO NOTHING",
                            none, deadline);
    if (!reactions) co_return reactions.error();
    out.reactions = reactions->affected_rows();

    // The files point at the new messages and channels, sent by the message's author; the blobs are the
    // ones this import wrote (stage_file).
    auto uploads = co_await conn.query(
        "INSERT INTO uploads (channel_id, user_id, message_id, position, name, content_type, size, sha256,"
        "   blob_id, inline_image, thumbnail_blob_id, thumbnail_type, width, height)"
        " SELECT c.new_id, ms.user_id, m.new_id, f.position, f.name, f.content_type, f.size, f.sha256,"
        "   f.blob_id, f.inline_image, f.thumbnail_blob_id,"
        "   CASE WHEN f.thumbnail_blob_id IS NOT NULL THEN f.thumbnail_type END, f.width, f.height"
        " FROM import_uploads f JOIN import_messages m ON m.id = f.message"
        " JOIN import_channels c ON c.id = m.channel"
        " JOIN import_member_ids a ON a.email = lower(btrim(m.author))"
        " JOIN memberships ms ON ms.id = a.id ORDER BY f.ord",
        none, deadline);
    if (!uploads) co_return uploads.error();
    out.uploads = uploads->affected_rows();

    // History is not news: the notification trigger queued pushes for the imported messages.
    auto quiet = co_await conn.query(
        "DELETE FROM notifications WHERE message_id IN (SELECT id FROM messages WHERE community_id = $1)",
        args, deadline);
    if (!quiet) co_return quiet.error();
    co_return out;
}

} // namespace eelchat::db
