#!/usr/bin/env bash
# Every arrow points down: a file under src/ may include only its own folder and the folders below it.
#
#   app, main.cpp           wiring: anything below
#   routes                  thin handlers: features, db, render, core, and of net the HTTP types
#                           (net/http.hpp, net/file_body.hpp) and the client address key
#                           (net/address_bucket.hpp)
#   realtime, feeds, mail,  features
#   limits, conversations,
#   metrics, sso, push,
#   search, archive,
#   uploads                : net, db, render, core (never routes, app or another feature)
#   render                  templates and fragments: db's row types, core
#   net, db                 sockets and PostgreSQL: core only
#   core                    the ground floor: nothing of eelchat
#
# A new feature folder gets its line in `allowed` below; a folder this script does not know fails the
# check, so the table stays complete.
set -u
root=${1:-$(dirname "$0")/../..}
cd "$root/src" || exit 2

features="realtime feeds mail limits conversations metrics sso push search archive uploads"
declare -A allowed=(
    [core]="core"
    [net]="core net"
    [db]="core db"
    [render]="core db render"
    [routes]="core db render routes $features net/http.hpp net/file_body.hpp net/address_bucket.hpp"
    [app]="core net db render routes $features app"
    [main.cpp]="core net db render routes $features app"
    [pch.hpp]=""
)
for f in $features; do allowed[$f]="core net db render $f"; done

status=0
while IFS= read -r file; do
    layer=${file%%/*}
    if [ -z "${allowed[$layer]+set}" ]; then
        echo "src/$file: folder '$layer' has no row in tests/lint/include_layers.sh"
        status=1
        continue
    fi
    while IFS= read -r line; do
        target=$(sed -E 's/^[0-9]+:[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/' <<<"$line")
        lineno=${line%%:*}
        ok=0
        for a in ${allowed[$layer]}; do
            if [ "$target" = "$a" ] || [ "${target%%/*}" = "$a" ]; then ok=1; break; fi
        done
        if [ $ok = 0 ]; then
            echo "src/$file:$lineno: includes \"$target\", which is not below '$layer'"
            status=1
        fi
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file")
done < <(find . -type f \( -name '*.cpp' -o -name '*.hpp' \) | sed 's|^\./||' | sort)

if [ $status = 0 ]; then echo "every include in src/ points down"; fi
exit $status
