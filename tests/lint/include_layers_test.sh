#!/usr/bin/env bash
# The include check itself: it passes a tree whose arrows point down and fails, naming the file and the
# include, when one points up, sideways between features, or from a folder it has no row for.
set -u
check=$(dirname "$0")/include_layers.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

tree() { rm -rf "$tmp/src"; mkdir -p "$tmp/src/core" "$tmp/src/net" "$tmp/src/feeds" "$tmp/src/routes" "$tmp/src/mail"; }
tree
printf '#include "core/log.hpp"\n#include <vector>\n' > "$tmp/src/net/socket.hpp"
printf '#include "net/socket.hpp"\n#include "core/log.hpp"\n' > "$tmp/src/feeds/poller.hpp"
printf '#include "feeds/poller.hpp"\n#include "net/http.hpp"\n' > "$tmp/src/routes/commands.cpp"
out=$("$check" "$tmp") || fail "a tree that points down was refused: $out"

printf '#include "routes/context.hpp"\n' >> "$tmp/src/net/socket.hpp"
out=$("$check" "$tmp") && fail "net including routes passed"
grep -q 'src/net/socket.hpp:3: includes "routes/context.hpp"' <<<"$out" || fail "unclear report: $out"

tree
printf '#include "mail/mailer.hpp"\n' > "$tmp/src/feeds/poller.hpp"
out=$("$check" "$tmp") && fail "one feature including another passed"

tree
printf '#include "net/url.hpp"\n' > "$tmp/src/routes/commands.cpp"
out=$("$check" "$tmp") && fail "routes including net beyond its HTTP types passed"

tree
mkdir -p "$tmp/src/widgets"
printf '#include "core/log.hpp"\n' > "$tmp/src/widgets/w.cpp"
out=$("$check" "$tmp") && fail "an unknown folder passed"
grep -q "has no row" <<<"$out" || fail "unclear report: $out"
echo "the include check passes good trees and fails bad ones"
