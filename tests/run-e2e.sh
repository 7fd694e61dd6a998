#!/usr/bin/env bash
# run-e2e.sh BUILD_DIR - runs every tests/e2e/tNNNN-*.sh with BUILD_DIR, each in
# its own HOME and TMPDIR, and ends with "N passed, N failed".
set -u
build=$(cd "${1:-build}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
pass=0 failed=0 failures=()
for t in "$top"/tests/e2e/t[0-9][0-9][0-9][0-9]-*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	dir=$(mktemp -d "${TMPDIR:-/tmp}/xnn-e2e-$name.XXXXXX")
	mkdir -p "$dir/home" "$dir/tmp"
	if (cd "$top" && HOME="$dir/home" TMPDIR="$dir/tmp" BUILD="$build" \
		bash "$t" >"$dir/log" 2>&1); then
		pass=$((pass + 1))
		echo "ok   $name"
		rm -rf "$dir"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "FAIL $name (log: $dir/log)"
		sed 's/^/    /' "$dir/log" | tail -20
	fi
done
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
