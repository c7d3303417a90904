#!/usr/bin/env bash
# `eelchat export` then `eelchat import` into another database: the new community holds the same
# members, channels, messages (edits, deletions, replies, mentions) and reactions; broken archives
# exit 1 with one line and change nothing.
set -u
bin=$1
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

if [ -z "${EELCHAT_TEST_DATABASE_URL:-}" ]; then
    echo "FAIL: EELCHAT_TEST_DATABASE_URL is not set (run through scripts/test)"
    exit 1
fi
with_db() { python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$EELCHAT_TEST_DATABASE_URL" "$1"; }
src_db=eelchat_export_$RANDOM$RANDOM
dst_db=eelchat_import_$RANDOM$RANDOM
work=$(mktemp -d)
cleanup() {
    psql "$EELCHAT_TEST_DATABASE_URL" -qAtc "DROP DATABASE IF EXISTS $src_db WITH (FORCE)" >/dev/null
    psql "$EELCHAT_TEST_DATABASE_URL" -qAtc "DROP DATABASE IF EXISTS $dst_db WITH (FORCE)" >/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
psql "$EELCHAT_TEST_DATABASE_URL" -qAtc "CREATE DATABASE $src_db" >/dev/null
psql "$EELCHAT_TEST_DATABASE_URL" -qAtc "CREATE DATABASE $dst_db" >/dev/null
src=$(with_db "$src_db")
dst=$(with_db "$dst_db")
run() { env -i PATH="$PATH" DATABASE_URL="$1" timeout 120 "$bin" "${@:2}"; }
run "$src" migrate 2>/dev/null || bad "migrate the source"
run "$dst" migrate 2>/dev/null || bad "migrate the destination"

# A community with a public, a private and a direct channel; an edit, a deletion, a reply, a mention,
# a system message and reactions. Bob already has an account where the archive goes.
psql "$src" -qAt -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || bad "fill the source database"
INSERT INTO users (id, email, display_name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'alice@example.com', 'Alice'),
  ('00000000-0000-0000-0000-00000000000b', 'bob@example.com', 'Bob'),
  ('00000000-0000-0000-0000-00000000000c', 'carol@example.com', NULL);
INSERT INTO communities (id, title) VALUES ('00000000-0000-0000-0000-0000000000c1', 'Eel fans');
INSERT INTO memberships (id, user_id, community_id, roles) VALUES
  ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000000c1', '{admin}'),
  ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-0000000000c1', '{}'),
  ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-00000000000c', '00000000-0000-0000-0000-0000000000c1', '{}');
INSERT INTO channels (id, community_id, title, kind, topic, last_seq) VALUES
  ('00000000-0000-0000-0000-000000000101', '00000000-0000-0000-0000-0000000000c1', 'general', 'public', 'All things eel', 5),
  ('00000000-0000-0000-0000-000000000102', '00000000-0000-0000-0000-0000000000c1', 'hideout', 'private', '', 1);
INSERT INTO channels (id, community_id, title, kind, direct_key, last_seq) VALUES
  ('00000000-0000-0000-0000-000000000103', '00000000-0000-0000-0000-0000000000c1', 'Direct message', 'direct',
   '00000000-0000-0000-0000-0000000000a1,00000000-0000-0000-0000-0000000000b1', 1);
INSERT INTO channel_members (channel_id, membership_id) VALUES
  ('00000000-0000-0000-0000-000000000102', '00000000-0000-0000-0000-0000000000a1'),
  ('00000000-0000-0000-0000-000000000102', '00000000-0000-0000-0000-0000000000d1'),
  ('00000000-0000-0000-0000-000000000103', '00000000-0000-0000-0000-0000000000a1'),
  ('00000000-0000-0000-0000-000000000103', '00000000-0000-0000-0000-0000000000b1');
INSERT INTO messages (id, channel_id, seq, membership_id, is_system, text, html, created_at, edited_at, deleted_at, parent_id, reply_count, mentions) VALUES
  ('00000000-0000-0000-0000-000000001001', '00000000-0000-0000-0000-000000000101', 1, '00000000-0000-0000-0000-0000000000a1', false, 'hello @Bob', '<p>hello @Bob</p>', '2026-01-01 10:00+00', NULL, NULL, NULL, 1, '{00000000-0000-0000-0000-0000000000b1}'),
  ('00000000-0000-0000-0000-000000001002', '00000000-0000-0000-0000-000000000101', 2, '00000000-0000-0000-0000-0000000000b1', false, 'edited text', '<p>edited text</p>', '2026-01-01 10:01+00', '2026-01-01 10:05+00', NULL, NULL, 0, NULL),
  ('00000000-0000-0000-0000-000000001003', '00000000-0000-0000-0000-000000000101', 3, '00000000-0000-0000-0000-0000000000b1', false, '', NULL, '2026-01-01 10:02+00', NULL, '2026-01-01 10:03+00', NULL, 0, NULL),
  ('00000000-0000-0000-0000-000000001004', '00000000-0000-0000-0000-000000000101', 4, NULL, true, 'Alice subscribed to a feed', NULL, '2026-01-01 10:04+00', NULL, NULL, NULL, 0, NULL),
  ('00000000-0000-0000-0000-000000001005', '00000000-0000-0000-0000-000000000101', 5, '00000000-0000-0000-0000-0000000000d1', false, 'a reply', '<p>a reply</p>', '2026-01-01 10:06+00', NULL, NULL, '00000000-0000-0000-0000-000000001001', 0, NULL),
  ('00000000-0000-0000-0000-000000002001', '00000000-0000-0000-0000-000000000102', 1, '00000000-0000-0000-0000-0000000000d1', false, 'secret plans', '<p>secret plans</p>', '2026-01-01 11:00+00', NULL, NULL, NULL, 0, NULL),
  ('00000000-0000-0000-0000-000000003001', '00000000-0000-0000-0000-000000000103', 1, '00000000-0000-0000-0000-0000000000b1', false, 'psst', '<p>psst</p>', '2026-01-01 12:00+00', NULL, NULL, NULL, 0, NULL);
INSERT INTO reactions (message_id, membership_id, emoji, created_at) VALUES
  ('00000000-0000-0000-0000-000000001001', '00000000-0000-0000-0000-0000000000b1', '👍', '2026-01-01 10:10+00'),
  ('00000000-0000-0000-0000-000000001001', '00000000-0000-0000-0000-0000000000d1', '👍', '2026-01-01 10:11+00'),
  ('00000000-0000-0000-0000-000000001001', '00000000-0000-0000-0000-0000000000d1', '🐍', '2026-01-01 10:12+00');
SQL
psql "$dst" -qAtc "INSERT INTO users (email, display_name) VALUES ('bob@example.com', 'Bobby')" >/dev/null

out=$(run "$src" export 00000000-0000-0000-0000-0000000000c1 "$work/eel.tar" 2>&1); rc=$?
[[ $rc -eq 0 && "$out" == *"7 messages"* ]] && ok "export writes the archive: $out" || bad "export -> $rc: $out"
names=$(tar -tf "$work/eel.tar" 2>&1 | tr '\n' ' ')
[[ "$names" == "manifest.json files/ members.jsonl channels.jsonl messages.jsonl reactions.jsonl uploads.jsonl " ]] \
    && ok "tar(1) lists the archive's files" || bad "tar -t: $names"
manifest=$(tar -xOf "$work/eel.tar" manifest.json)
[[ "$manifest" == *'"format":"eelchat-export"'* && "$manifest" == *'"title":"Eel fans"'* ]] \
    && ok "the manifest names the format and the community" || bad "manifest: $manifest"
deleted=$(tar -xOf "$work/eel.tar" messages.jsonl | grep -cE '"deleted" ?: ?true')
[ "$deleted" = 1 ] && ok "one message is exported as deleted" || bad "deleted lines: $deleted"

out=$(run "$src" export 00000000-0000-0000-0000-0000000000ff "$work/none.tar" 2>&1); rc=$?
[[ $rc -eq 1 && ! -e "$work/none.tar" && $(wc -l <<<"$out") -eq 1 ]] && ok "an unknown community: $out" || bad "export unknown -> $rc: $out"

out=$(run "$dst" import "$work/eel.tar" 2>&1); rc=$?
[[ $rc -eq 0 && "$out" == *"3 members (2 new users), 3 channels, 7 messages, 3 reactions"* ]] \
    && ok "import: $out" || bad "import -> $rc: $out"
cid=$(psql "$dst" -qAtc "SELECT id FROM communities")
[[ "$out" == *"$cid"* ]] && ok "import prints the new community's id" || bad "id $cid not in: $out"

q() { psql "$1" -qAt -F '|' -c "$2"; }
# What the pages show, compared between the two databases (ids aside).
same() {
    local a b
    a=$(q "$src" "$2"); b=$(q "$dst" "$2")
    if [ "$a" = "$b" ] && [ -n "$a" ]; then ok "$1"; else bad "$1"$'\n'"source:"$'\n'"$a"$'\n'"imported:"$'\n'"$b"; fi
}
same "the community's title" "SELECT title FROM communities"
same "members with their roles" \
    "SELECT u.email, m.roles FROM memberships m JOIN users u ON u.id = m.user_id ORDER BY u.email"
same "channels with kind, topic and last_seq" "SELECT title, kind, topic, last_seq FROM channels ORDER BY title"
same "messages in order, with authors, edits and deletions" \
    "SELECT c.title, x.seq, coalesce(u.email, '(system)'), x.is_system, x.text, coalesce(x.html, '-'),
            x.created_at, x.edited_at IS NOT NULL, x.deleted_at IS NOT NULL, x.reply_count, x.mention_channel
     FROM messages x JOIN channels c ON c.id = x.channel_id
     LEFT JOIN memberships m ON m.id = x.membership_id LEFT JOIN users u ON u.id = m.user_id
     ORDER BY c.title, x.seq"
same "replies point at their parent" \
    "SELECT x.text, p.text FROM messages x JOIN messages p ON p.id = x.parent_id ORDER BY x.text"
same "mentions name the same people" \
    "SELECT x.text, u.email FROM messages x CROSS JOIN LATERAL unnest(x.mentions) e(mid)
     JOIN memberships m ON m.id = e.mid JOIN users u ON u.id = m.user_id ORDER BY 1, 2"
same "private and direct channel members" \
    "SELECT c.title, u.email FROM channel_members cm JOIN channels c ON c.id = cm.channel_id
     JOIN memberships m ON m.id = cm.membership_id JOIN users u ON u.id = m.user_id ORDER BY 1, 2"
same "reactions, and the summary pages show" \
    "SELECT x.text, r.emoji, u.email FROM reactions r JOIN messages x ON x.id = r.message_id
     JOIN memberships m ON m.id = r.membership_id JOIN users u ON u.id = m.user_id ORDER BY 1, 2, 3"
summary=$(q "$dst" "SELECT jsonb_path_query_array(reactions, '\$[*][0 to 1]') FROM messages WHERE text = 'hello @Bob'")
[ "$summary" = '["👍", 2, "🐍", 1]' ] && ok "the reactions summary is right: $summary" || bad "summary: $summary"
bobby=$(q "$dst" "SELECT display_name FROM users WHERE email = 'bob@example.com'")
[ "$bobby" = Bobby ] && ok "an existing user keeps their account" || bad "bob is now: $bobby"
key=$(q "$dst" "SELECT direct_key = (SELECT string_agg(membership_id::text, ',' ORDER BY membership_id::text COLLATE \"C\")
                FROM channel_members WHERE channel_id = c.id) FROM channels c WHERE kind = 'direct'")
[ "$key" = t ] && ok "the direct conversation's key is its new members" || bad "direct_key: $key"
queued=$(q "$dst" "SELECT count(*) FROM notifications")
[ "$queued" = 0 ] && ok "imported history notifies nobody" || bad "$queued notifications queued"

# Broken archives: one line on stderr, exit 1, nothing changed.
before=$(q "$dst" "SELECT (SELECT count(*) FROM communities) || '/' || (SELECT count(*) FROM users) || '/' || (SELECT count(*) FROM messages)")
unchanged() {
    local now
    now=$(q "$dst" "SELECT (SELECT count(*) FROM communities) || '/' || (SELECT count(*) FROM users) || '/' || (SELECT count(*) FROM messages)")
    [ "$now" = "$before" ]
}
refused() { # name, archive, expected text
    local out rc
    out=$(run "$dst" import "$2" 2>&1); rc=$?
    if [[ $rc -eq 1 && $(wc -l <<<"$out") -eq 1 && "$out" == *"$3"* ]] && unchanged; then
        ok "$1: $out"
    else
        bad "$1 -> $rc: $out"
    fi
}
head -c 3000 /dev/urandom >"$work/noise.tar"
refused "not a tar" "$work/noise.tar" "not a tar archive"
mkdir -p "$work/x" && (cd "$work/x" && tar -xf "$work/eel.tar")
repack() { (cd "$work/x" && tar --format=ustar -cf "$1" manifest.json files members.jsonl channels.jsonl messages.jsonl reactions.jsonl); }
cp "$work/x/manifest.json" "$work/manifest.orig"
sed -i 's/"version":1/"version":9/' "$work/x/manifest.json"; repack "$work/v9.tar"
refused "an unknown version" "$work/v9.tar" "format version"
cp "$work/manifest.orig" "$work/x/manifest.json"
cp "$work/x/messages.jsonl" "$work/messages.orig"
echo '{"id": "broken' >>"$work/x/messages.jsonl"; repack "$work/badline.tar"
refused "a malformed JSON line" "$work/badline.tar" "messages.jsonl line 8: not JSON"
cp "$work/messages.orig" "$work/x/messages.jsonl"
sed -E -i '0,/"parent" ?: ?null/s//"parent":"00000000-0000-0000-0000-00000000dead"/' "$work/x/messages.jsonl"; repack "$work/badref.tar"
refused "a reply to an unknown message" "$work/badref.tar" "replies to an unknown message"
cp "$work/messages.orig" "$work/x/messages.jsonl"
sed -E -i 's/"created_at" ?: ?"[^"]*"/"created_at":"the day before"/' "$work/x/messages.jsonl"; repack "$work/baddate.tar"
refused "a value PostgreSQL cannot read" "$work/baddate.tar" "messages.jsonl lines 1-7: a bad value"
exit $fail
