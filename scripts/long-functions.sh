#!/usr/bin/env bash
# long-functions.sh [-n LINES] FILE|DIR... - lists the C functions longer than
# LINES (default 150) lines, longest first: "lines file:line name". A function
# is counted from the line of its name to its closing brace in column 0 (the
# house style: the opening brace of a function alone in column 0). Exits 1
# when it lists any.
set -euo pipefail
max=150
if [ "${1:-}" = -n ]; then max=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: $0 [-n LINES] FILE|DIR..." >&2; exit 2; }
find "$@" -name '*.c' -print0 | xargs -0 awk -v max="$max" '
	FNR == 1 { name = ""; start = 0 }
	/^[A-Za-z_][A-Za-z0-9_ \t\*]*\(/ && !/;[ \t]*$/ {
		n = $0; sub(/\(.*/, "", n); k = split(n, w, /[ \t\*]+/); cand = w[k]; cand_line = FNR
	}
	/^\{/ { name = cand; start = cand_line }
	/^\}/ && start {
		len = FNR - start + 1
		if (len > max) printf "%d %s:%d %s\n", len, FILENAME, start, name
		start = 0
	}' | sort -rn | { found=0; while read -r l; do echo "$l"; found=1; done; [ $found = 0 ]; }
