#!/usr/bin/env bash
# deploy/eelchat.service passes `systemd-analyze verify` and keeps its hardening. verify insists that the
# binary exists, so it checks a copy whose only difference is the binary's path: the one just built.
set -euo pipefail
unit=$1
bin=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|/usr/local/bin/eelchat|$bin|g" "$unit" > "$tmp/eelchat.service"
# Nothing but that path differs.
diff <(grep -v '/usr/local/bin/eelchat' "$unit") <(grep -v "$bin" "$tmp/eelchat.service")
grep -q '^Type=notify$' "$unit" || { echo "FAIL: the unit is not Type=notify"; exit 1; }
grep -q '^WatchdogSec=' "$unit" || { echo "FAIL: the unit has no watchdog"; exit 1; }
grep -q '^LimitNOFILE=' "$unit" || { echo "FAIL: the unit does not raise LimitNOFILE"; exit 1; }
systemd-analyze verify "$tmp/eelchat.service"
echo "ok: systemd-analyze verify"
# The hardening options in effect: systemd's own exposure score (0 safest, 10 unprotected; the
# threshold counts tenths) stays below 2.
systemd-analyze security --offline=yes --threshold=20 "$tmp/eelchat.service" | tail -n 1
echo "ok: systemd-analyze security below 2"
