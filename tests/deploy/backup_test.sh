#!/usr/bin/env bash
# scripts/backup and scripts/restore on the private PostgreSQL of scripts/run (in a scratch data folder):
# a restored backup holds every message, eelchat serves it, and the database it replaced is kept.
# Usage: backup_test.sh BUILD/eelchat
set -euo pipefail
bin=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/lib.sh"

tmp=$(mktemp -d /tmp/eelchat-backup-test.XXXXXX)
chmod 755 "$tmp"
export EELCHAT_DATA_DIR=$tmp/data
export EELCHAT_PG_PORT=$(free_port)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    [ -n "${PRIVATE_PGDATA:-}" ] && pg_stop "$PRIVATE_PGDATA"
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

use_private_pg
url=$DATABASE_URL
"$bin" migrate 2>/dev/null
# A community with 3,000 messages (some edited, with reactions and a thread) and a session to read it.
psql "$url" -v ON_ERROR_STOP=1 -q <<'SQL'
INSERT INTO users (id, email) VALUES ('00000000-0000-0000-0000-000000000001', 'ada@example.org');
INSERT INTO communities (id, title) VALUES ('00000000-0000-0000-0000-0000000000c1', 'Backups');
INSERT INTO memberships (id, user_id, community_id, roles)
VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-000000000001',
        '00000000-0000-0000-0000-0000000000c1', '{admin}');
INSERT INTO channels (id, community_id, title) VALUES ('00000000-0000-0000-0000-0000000000d1',
        '00000000-0000-0000-0000-0000000000c1', 'general');
INSERT INTO messages (channel_id, seq, membership_id, text)
SELECT '00000000-0000-0000-0000-0000000000d1', g, '00000000-0000-0000-0000-0000000000a1',
       'message number ' || g || ' ✓'
FROM generate_series(1, 3000) g;
UPDATE channels SET last_seq = 3000 WHERE id = '00000000-0000-0000-0000-0000000000d1';
-- A session whose cookie value is "b4" 32 times: its row holds the SHA-256 of it.
INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at)
VALUES (encode(sha256(convert_to(repeat('b4', 32), 'UTF8')), 'hex'), '00000000-0000-0000-0000-000000000001', 'c',
        now() + interval '1 day');
SQL
digest() { psql "$1" -tAc "SELECT count(*) || ':' || md5(string_agg(seq || text, '|' ORDER BY seq)) FROM messages"; }
before=$(digest "$url")

# As people run them: no DATABASE_URL, so the scripts find the private PostgreSQL themselves.
env -u DATABASE_URL "$root/scripts/backup" "$tmp/eelchat.dump"
[ -s "$tmp/eelchat.dump" ] || fail "no backup file"
# The disaster: messages lost after the backup.
psql "$url" -qc "DELETE FROM messages WHERE seq > 10"
[ "$(digest "$url")" != "$before" ] || fail "the test's deletion did nothing"

# A restore refuses while something is connected.
psql "$url" -c "SELECT pg_sleep(30)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 100); do
    [ "$(psql "$PRIVATE_PG_ADMIN_URL" -tAc "SELECT count(*) FROM pg_stat_activity WHERE datname = 'eelchat' AND query LIKE '%pg_sleep%'")" = 1 ] && break
    sleep 0.05
done
if env -u DATABASE_URL "$root/scripts/restore" "$tmp/eelchat.dump" 2>"$tmp/refused"; then fail "restore ran while the database was in use"; fi
grep -q "stop it first" "$tmp/refused" || fail "no clear refusal: $(cat "$tmp/refused")"
psql "$PRIVATE_PG_ADMIN_URL" -qtAc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'eelchat' AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" 2>/dev/null || true
echo "ok: restore refuses while eelchat is connected"

env -u DATABASE_URL "$root/scripts/restore" "$tmp/eelchat.dump"
[ "$(digest "$url")" = "$before" ] || fail "the restored database does not hold every message"
echo "ok: every message is back ($before)"
kept=$(psql "$PRIVATE_PG_ADMIN_URL" -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'eelchat_before_restore_%'")
[ -n "$kept" ] && [ "$(digest "${url%/eelchat}/$kept")" != "$before" ] || fail "the replaced database was not kept"
echo "ok: the replaced database is kept as $kept"

# eelchat finds nothing to migrate and serves the restored messages.
"$bin" migrate 2>&1 | grep -q "applied=0" || fail "the restored schema is not current"
port=$(free_port)
PORT=$port "$bin" 2>"$tmp/server.log" &
server=$!
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.05; done
page=$(curl -sf -H "Cookie: eelchat_session=$(printf 'b4%.0s' $(seq 32))" \
    "http://127.0.0.1:$port/community/00000000-0000-0000-0000-0000000000c1/channel/00000000-0000-0000-0000-0000000000d1")
[[ "$page" == *"message number 3000 ✓"* ]] || fail "the channel page does not show the newest message"
echo "ok: eelchat serves the restored channel"

# Into your own PostgreSQL: DATABASE_URL names a fresh database.
psql "$PRIVATE_PG_ADMIN_URL" -qc "CREATE DATABASE elsewhere"
DATABASE_URL=${url%/eelchat}/elsewhere "$root/scripts/restore" "$tmp/eelchat.dump"
[ "$(digest "${url%/eelchat}/elsewhere")" = "$before" ] || fail "the restore into DATABASE_URL lost messages"
echo "ok: restore into DATABASE_URL"
