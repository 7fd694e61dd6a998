#!/usr/bin/env bash
# run-e2e.sh BUILD_DIR [NAME...] - runs every tests/e2e/tNNNN-*.sh (or those
# whose name starts with one of NAME: t0006 t0009) with BUILD_DIR, each in its
# own HOME and TMPDIR, and ends with "N passed, N failed" when it ran more
# than one.
set -u
build=$(cd "${1:-build}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
pass=0 failed=0 failures=()
for t in "$top"/tests/e2e/t[0-9][0-9][0-9][0-9]-*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	if [ $# -gt 1 ]; then
		want=0
		for w in "${@:2}"; do case $name in "$w"*) want=1 ;; esac; done
		[ $want = 1 ] || continue
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/xnn-e2e-$name.XXXXXX")
	mkdir -p "$dir/home" "$dir/tmp"
	# adb: a private server port per test (a sweep starts a server where
	# none runs), stopped afterwards
	port=$((20000 + RANDOM % 20000))
	t0=$SECONDS
	if (cd "$top" && HOME="$dir/home" TMPDIR="$dir/tmp" BUILD="$build" \
		ANDROID_ADB_SERVER_PORT=$port ADB_SERVER_SOCKET= \
		bash "$t" >"$dir/log" 2>&1); then ok=1; else ok=0; fi
	if command -v adb >/dev/null; then
		HOME="$dir/home" TMPDIR="$dir/tmp" adb -P $port kill-server >/dev/null 2>&1 || true
	fi
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
		echo "ok   $name ($((SECONDS - t0)) s)"
		rm -rf "$dir"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "FAIL $name after $((SECONDS - t0)) s (log: $dir/log)"
		sed 's/^/    /' "$dir/log" | tail -20
	fi
done
[ $((pass + failed)) -le 1 ] || echo "$pass passed, $failed failed"
[ $((pass + failed)) -gt 0 ] || { echo "run-e2e.sh: no test named ${*:2}" >&2; exit 1; }
[ "$failed" -eq 0 ]
