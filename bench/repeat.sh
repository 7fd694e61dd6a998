#!/usr/bin/env bash
# repeat.sh - how repeatable the agent's figures are on this machine: N agent
# processes back to back, each `xnn-agent probe` (probe_score: GFLOP/s of one
# fixed f32 layer) then `xnn-agent bench` of the sweep's sub-nets (the
# largest, the smallest and 4 between, as `xnn-fleet sweep` picks them) in
# f32 and int8 with the default protocol. Prints per process the score and
# the medians, then per row the smallest and largest median and their
# spread (largest / smallest - 1), with the share of clean rows, and the
# steal time /proc/stat counted meanwhile.
#
# usage: bench/repeat.sh [N] [BUILD]     (N default 6, BUILD default build)
# Run it on a quiet machine: it measures the machine as much as the agent.
set -euo pipefail
n=${1:-6}
build=${2:-build}
agent=$build/bin/xnn-agent fleet=$build/bin/xnn-fleet
calib=${DATA:-$build/data}/train-images-idx3-ubyte
for f in "$agent" "$fleet" "$calib"; do
	[ -e "$f" ] || { echo "repeat.sh: no $f: run 'make all data' first" >&2; exit 2; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/xnn-repeat-XXXXXX")
trap 'rm -rf "$dir"' EXIT
# the sweep's sub-nets: its dry run lists them as CSV (arch strings hold commas)
"$fleet" sweep --dry-run --devices host 2>/dev/null | python3 -c '
import csv, sys
for r in csv.reader(sys.stdin):
    if r and r[0] == "subnet":
        print(r[1])' > "$dir/list"
[ -s "$dir/list" ] || { echo "repeat.sh: the dry run listed no sub-net" >&2; exit 1; }
steal() { awk '/^cpu / { print $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
s0=$(steal)
for i in $(seq "$n"); do
	"$agent" probe 2>/dev/null | awk -F, '$1 == "probe_score" { print $2 }' > "$dir/score$i"
	"$agent" bench --supernet models/fmnist-ofa.xsn --subnets "$dir/list" --calib "$calib" \
		--precision f32,int8 > "$dir/bench$i.csv" 2>/dev/null
	echo "process $i of $n: probe_score $(cat "$dir/score$i")" >&2
done
s1=$(steal)
python3 - "$dir" "$n" "$s0" "$s1" <<'EOF'
import csv, os, sys
d, n = sys.argv[1], int(sys.argv[2])
(st0, all0), (st1, all1) = (map(int, s.split()) for s in sys.argv[3:5])
rows, clean, total = {}, 0, 0
for i in range(1, n + 1):
    lines = [l for l in open(os.path.join(d, "bench%d.csv" % i)) if not l.startswith("#")]
    r = list(csv.reader(lines))
    h = r[0]
    for x in r[1:]:
        if x[h.index("status")] != "ok":
            continue
        key = (x[h.index("arch")], x[h.index("precision")])
        rows.setdefault(key, []).append(float(x[h.index("median_ms")]))
        clean += x[h.index("flags")] == "clean"
        total += 1
scores = [open(os.path.join(d, "score%d" % i)).read().strip() for i in range(1, n + 1)]
print("probe_score per process (GFLOP/s):", " ".join(scores))
print("%-5s %10s %10s %8s  arch" % ("prec", "min_ms", "max_ms", "spread"))
for (arch, prec), v in rows.items():
    print("%-5s %10.4f %10.4f %7.1f%%  %s" % (prec, min(v), max(v),
          100 * (max(v) / min(v) - 1), arch))
print("clean rows: %d of %d; steal time: %.1f%% of the CPU time meanwhile"
      % (clean, total, 100.0 * (st1 - st0) / max(1, all1 - all0)))
EOF
