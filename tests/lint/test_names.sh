#!/usr/bin/env bash
# Catch2 test names must not hold ';': CMake's catch_discover_tests cuts a name at it (a list separator),
# and the cut name then matches no test case, so that test would pass without ever running.
set -u
root=${1:-$(dirname "$0")/../..}
found=$(grep -rn --include='*.cpp' -E 'TEST_CASE\("[^"]*;' "$root/tests" || true)
if [ -n "$found" ]; then
    echo "test names with ';' (use ',' instead):"
    echo "$found"
    exit 1
fi
