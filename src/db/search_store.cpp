#include "db/search_store.hpp"

#include "db/params.hpp"

namespace eelchat::db {

namespace asio = boost::asio;

namespace {

// A PostgreSQL array literal of text values, each quoted: {"a","b \"c\""}.
std::string array_literal(const std::vector<std::string>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        out += '"';
        for (char c : values[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

// Parameters: $1 community, $2 channels (uuid[]), $3 words (NULL: none), $4 prefix tsquery (NULL: none),
// $5 authors (uuid[], NULL: anyone), $6 the message the page starts below (NULL: the newest), $7 how
// many to return, $8 the window. Every call is planned with its values (an unnamed statement), so the
// NULL tests and the tsquery fold into constants and the planner sees the real words.
constexpr std::string_view tsquery_sql =
    "(CASE WHEN $3::text IS NULL THEN to_tsquery('simple', $4::text)"
    " WHEN $4::text IS NULL THEN websearch_to_tsquery('simple', $3::text)"
    " ELSE websearch_to_tsquery('simple', $3::text) && to_tsquery('simple', $4::text) END)";

std::string matches(std::string_view a) {
    return "(($3::text IS NULL AND $4::text IS NULL) OR " + std::string(a) + ".search @@ " +
           std::string(tsquery_sql) + ")";
}
std::string below_cursor(std::string_view a) {
    const std::string x(a);
    return "($6::uuid IS NULL OR (" + x + ".created_at, " + x +
           ".id) < ((SELECT b.created_at FROM messages b"
           " WHERE b.id = $6::uuid), $6::uuid))";
}
std::string readable(std::string_view a) {
    const std::string x(a);
    return x + ".channel_id = ANY ($2::uuid[]) AND " + x + ".deleted_at IS NULL AND ($5::uuid[] IS NULL OR " +
           x + ".membership_id = ANY ($5::uuid[]))";
}

// The message columns of a hit, then its channel and its snippet (the text's start where no words are
// sought). ts_headline reads the text as its parser does, which drops what looks like an HTML tag
// ("a <b> c"): so it gets the text with &, < and > as entities, and snippet_text takes them back out.
std::string hit_columns() {
    constexpr std::string_view clean = "translate(m.text, chr(1) || chr(2), '')";
    auto escaped = [](std::string_view t) {
        return "replace(replace(replace(" + std::string(t) + ", '&', '&amp;'), '<', '&lt;'), '>', '&gt;')";
    };
    std::string sql(message_select);
    sql.append(", m.channel_id, CASE WHEN $3::text IS NULL AND $4::text IS NULL THEN ")
        .append(escaped("left(" + std::string(clean) + ", 300)"))
        .append(" ELSE ts_headline('simple', ")
        .append(escaped(clean))
        .append(", ")
        .append(tsquery_sql)
        .append(", 'MaxWords=35, MinWords=15, ShortWord=0, StartSel=' || chr(1) || ', StopSel=' || chr(2))"
                " END");
    return sql;
}

// The snippet as it was typed: &amp; &lt; &gt; back to & < > (nothing else was made an entity).
std::string snippet_text(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto rest = s.substr(i);
        if (rest.starts_with("&amp;")) {
            out += '&';
            i += 4;
        } else if (rest.starts_with("&lt;")) {
            out += '<';
            i += 3;
        } else if (rest.starts_with("&gt;")) {
            out += '>';
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

// Newest first with a LIMIT must not sort every match of a common word, and a rare word must not walk
// every message. So, first the window: the community's newest `window` messages (below the cursor) in
// time order, along messages_community_time_idx, keeping the matches; it stops at the page's count,
// which a common word reaches within a few rows. Who may read what is one array test per row, not a
// join. The first column says whether the window fell short: it held fewer matches than asked for
// while the community has more messages than the window.
std::string window_sql() {
    return "WITH recent AS MATERIALIZED ("
           " SELECT w.id, w.created_at FROM ("
           "   SELECT m.id, m.created_at, m.channel_id, m.membership_id, m.deleted_at, m.search FROM "
           "messages m"
           "   WHERE m.community_id = $1 AND " +
           below_cursor("m") +
           "   ORDER BY m.created_at DESC, m.id DESC LIMIT $8) w"
           " WHERE " +
           readable("w") + " AND " + matches("w") +
           " LIMIT $7)"
           " SELECT f.short, hit.* FROM (SELECT (SELECT count(*) FROM recent) < $7 AND (SELECT count(*) FROM "
           "("
           "   SELECT 1 FROM messages m WHERE m.community_id = $1 AND " +
           below_cursor("m") +
           "   ORDER BY m.created_at DESC, m.id DESC LIMIT $8) x) = $8 AS short) f"
           " LEFT JOIN LATERAL (SELECT p.created_at AS at, " +
           hit_columns() + " FROM recent p JOIN messages m ON m.id = p.id" + std::string(message_joins) +
           " WHERE NOT f.short) hit ON true ORDER BY hit.at DESC, hit.id DESC";
}

// When the window fell short, the word is rare among the newest messages: the GIN index finds every
// match (few, as the word is rare), and the newest are sorted out. A separate statement, so that the
// plan of the common case carries no cost estimate for this one (which would make PostgreSQL compile
// it with JIT first, for tens of milliseconds). It takes the same parameters ($8 unused but typed).
std::string indexed_sql() {
    return "WITH hits AS MATERIALIZED ("
           " SELECT m.id, m.created_at FROM messages m WHERE $8::int > 0 AND m.community_id = $1 AND " +
           readable("m") + " AND " + below_cursor("m") + " AND " + matches("m") + ") SELECT NULL, " +
           hit_columns() +
           " FROM (SELECT id, created_at FROM hits ORDER BY created_at DESC, id DESC LIMIT $7) p"
           " JOIN messages m ON m.id = p.id" +
           std::string(message_joins) + " ORDER BY p.created_at DESC, p.id DESC";
}

} // namespace

asio::awaitable<result<search_page>> search_messages(pool& db, search_request q) {
    search_page page;
    if (q.channel_ids.empty() || q.limit < 1) co_return page;
    auto args = params(
        std::move(q.community_id), array_literal(q.channel_ids),
        q.words.empty() ? std::nullopt : std::optional<std::string>(std::move(q.words)), std::move(q.prefix),
        q.author_ids.empty() ? std::nullopt : std::optional<std::string>(array_literal(q.author_ids)),
        std::move(q.before_id), q.limit + 1, std::max(q.window, 1));
    static const std::string window = window_sql();
    static const std::string indexed = indexed_sql();
    auto r = co_await db.query(window, args);
    if (!r) co_return r.error();
    // Columns: whether the window fell short (the first row says), the hit's time (window only), the hit.
    int first = 2;
    if (r->rows() > 0 && r->get(0, 0) == "t") {
        r = co_await db.query(indexed, std::move(args));
        if (!r) co_return r.error();
        first = 1;
    }
    for (int i = 0; i < r->rows(); ++i) {
        if (r->is_null(i, first)) continue; // the window's row without a hit
        if (page.hits.size() == static_cast<std::size_t>(q.limit)) {
            page.more = true;
            break;
        }
        search_hit h;
        h.message = read_message(*r, i, first);
        h.channel_id = std::string(r->get(i, first + message_column_count));
        h.snippet = snippet_text(r->get(i, first + message_column_count + 1));
        page.hits.push_back(std::move(h));
    }
    co_return page;
}

asio::awaitable<result<std::vector<std::vector<std::string>>>>
members_named(pool& db, std::string community_id, std::vector<std::string> names) {
    std::vector<std::vector<std::string>> out(names.size());
    if (names.empty()) co_return out;
    auto args = params(std::move(community_id), array_literal(names));
    auto r = co_await db.query(
        "SELECT x.i, ms.id FROM unnest($2::text[]) WITH ORDINALITY x(name, i)"
        " JOIN memberships ms ON ms.community_id = $1 JOIN users u ON u.id = ms.user_id"
        " WHERE lower(coalesce(u.display_name, 'User ' || left(ms.id::text, 4))) = lower(x.name)"
        " ORDER BY x.i",
        std::move(args));
    if (!r) co_return r.error();
    for (int i = 0; i < r->rows(); ++i) {
        const auto at = to_int(r->get(i, 0)).value_or(0);
        if (at >= 1 && static_cast<std::size_t>(at) <= out.size())
            out[static_cast<std::size_t>(at - 1)].emplace_back(r->get(i, 1));
    }
    co_return out;
}

} // namespace eelchat::db
