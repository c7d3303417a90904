#!/usr/bin/env bash
# The binary's own commands, as a deploy pipeline uses them: --version, check-config, migrate.
set -u
bin=$1
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

out=$("$bin" --version); rc=$?
[[ $rc -eq 0 && "$out" =~ ^eelchat\ [0-9]+\.[0-9]+\.[0-9]+$ ]] && ok "--version: $out" || bad "--version -> $rc: $out"

out=$(env -i PATH="$PATH" "$bin" check-config 2>&1); rc=$?
[[ $rc -eq 2 && "$out" == *DATABASE_URL* ]] && ok "check-config without DATABASE_URL -> 2" || bad "check-config -> $rc: $out"
out=$(env -i PATH="$PATH" DATABASE_URL=dbname=x SHUTDOWN_DRAIN_MS=soon "$bin" check-config 2>&1); rc=$?
[[ $rc -eq 2 && "$out" == *SHUTDOWN_DRAIN_MS* ]] && ok "check-config names the bad variable" || bad "check-config -> $rc: $out"
out=$(env -i PATH="$PATH" DATABASE_URL=dbname=x ASSETS_DIR=/nonexistent "$bin" check-config 2>&1); rc=$?
[[ $rc -eq 2 && "$out" == *ASSETS_DIR* ]] && ok "check-config checks ASSETS_DIR" || bad "check-config -> $rc: $out"
out=$(env -i PATH="$PATH" DATABASE_URL=dbname=x "$bin" check-config 2>&1); rc=$?
[[ $rc -eq 0 && "$out" == *valid* ]] && ok "check-config of a valid environment -> 0" || bad "check-config -> $rc: $out"

out=$("$bin" frobnicate 2>&1); rc=$?
[[ $rc -eq 2 && "$out" == *'unknown command "frobnicate"'* && "$out" == *usage* ]] && ok "an unknown command -> 2 with the usage" || bad "frobnicate -> $rc: $out"

# migrate: applies everything to an empty database, then finds nothing to do; exits without serving.
if [ -n "${EELCHAT_TEST_DATABASE_URL:-}" ]; then
    db=eelchat_migrate_$RANDOM$RANDOM
    psql "$EELCHAT_TEST_DATABASE_URL" -qAtc "CREATE DATABASE $db" >/dev/null
    url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$EELCHAT_TEST_DATABASE_URL" "$db")
    out=$(env -i PATH="$PATH" DATABASE_URL="$url" timeout 60 "$bin" migrate 2>&1); rc=$?
    [[ $rc -eq 0 && "$out" == *event=migrations* && "$out" != *event=listening* ]] && ok "migrate applies the migrations and exits" || bad "migrate -> $rc: $out"
    n=$(psql "$url" -qAtc "SELECT count(*) FROM information_schema.tables WHERE table_name = 'messages'")
    [ "$n" = 1 ] && ok "migrate created the tables" || bad "no messages table after migrate"
    out=$(env -i PATH="$PATH" DATABASE_URL="$url" LOG_FORMAT=json timeout 60 "$bin" migrate 2>&1); rc=$?
    [[ $rc -eq 0 && "$out" == *'"applied":0'* ]] && ok "a second migrate applies nothing (and logs JSON)" || bad "second migrate -> $rc: $out"
    psql "$EELCHAT_TEST_DATABASE_URL" -qAtc "DROP DATABASE $db WITH (FORCE)" >/dev/null
else
    bad "EELCHAT_TEST_DATABASE_URL is not set (run through scripts/test)"
fi
exit $fail
