#!/usr/bin/env bash
# Smoke test of the bench: a fresh scratch database on EELCHAT_TEST_DATABASE_URL, one eelchat on a free
# port, and every scenario in a tiny configuration. eelbench must exit 0 (every delivery matched its
# post, once and in order) and write one JSON object per scenario. No speed is asserted.
set -euo pipefail
eelchat=$1
eelbench=$2
: "${EELCHAT_TEST_DATABASE_URL:?set EELCHAT_TEST_DATABASE_URL (scripts/test does)}"
tmp=$(mktemp -d /tmp/eelbench-smoke.XXXXXX)
db="eelbench_smoke_$$"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    psql "$EELCHAT_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
psql "$EELCHAT_TEST_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
base=${EELCHAT_TEST_DATABASE_URL%/*}
dburl="$base/$db"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mapfile -t raised < <(grep -E '^[A-Z_]+=' "$(dirname "$0")/../server-limits.env")
env "${raised[@]}" DATABASE_URL="$dburl" PORT="$port" BASE_URL="http://127.0.0.1:$port" THREADS=2 LOG_LEVEL=warn \
    "$eelchat" >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
settings=()
for s in "${raised[@]}"; do settings+=(--server-setting "$s"); done
"$eelbench" --url "http://127.0.0.1:$port" --database-url "$dburl" --server-pid "$server_pid" "${settings[@]}" \
    --subscribers 50 --small-subscribers 20 --posters 4 --channels 4 --connections 100 --concurrency 4 --mixed-subscribers 60 \
    --rate 50 --duration 1 --warmup 0.5 --history-messages 2000 --json "$tmp/results.json"
count=$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for r in d if r["passed"]))' "$tmp/results.json")
[ "$count" -ge 5 ] || { echo "expected at least 5 passing reports, got $count"; exit 1; }
echo "smoke: $count reports passed"
