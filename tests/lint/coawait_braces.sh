#!/usr/bin/env bash
# g++ 12 miscompiles braced temporaries inside a co_await expression: `co_await f(T{...})` and
# `co_await f(x, {a, b})` free the temporary twice (or fail to compile), and `CHECK(co_await ...)`
# evaluates the co_await twice. Build such values in a named variable first. This check finds the
# patterns in src/, tests/ and bench/ so the bug cannot come back unnoticed. (Empty braces `{}`, which
# value-initialise a span or vector, are not affected.)
set -u
root=$1
braced=$(grep -rnE 'co_await[^;]*([A-Za-z0-9_>]\{[^}]|\(\{[^}]|, \{[^}])' "$root/src" "$root/tests" "$root/bench" \
    --include='*.cpp' --include='*.hpp' | grep -vE '^[^:]+:[0-9]+:[[:space:]]*//')
in_macro=$(grep -rnE '(CHECK|REQUIRE)[A-Z_]*\([^;]*co_await' "$root/src" "$root/tests" "$root/bench" --include='*.cpp' --include='*.hpp')
if [ -n "$braced$in_macro" ]; then
    echo "braced temporaries or Catch macros around co_await (see this script's comment):"
    printf '%s\n' "$braced" "$in_macro" | grep .
    exit 1
fi
echo "no braced temporaries in co_await expressions"
