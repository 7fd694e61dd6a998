#!/usr/bin/env bash
# int8-accuracy.sh [N] [SEED] - the int8 top-1 against f32 over N random
# sub-nets (default 100, seed 1) of the shipped supernet, on this host's
# kernels and the 10,000 test images: one CSV row per sub-net
# (arch,macs,f32,int8,delta) on stdout, then the distribution of the deltas.
# Each sub-net is extracted (BN recalibrated) and evaluated in f32, then
# quantized (default rule: stem and classifier f32) and evaluated in int8.
# Needs a build (make) and the data set (make test decompresses it, or give
# DATA=dir with plain IDX files). About 20-40 s per sub-net on one core.
set -euo pipefail
n=${1:-100}
seed=${2:-1}
top=$(cd "$(dirname "$0")/.." && pwd)
fleet="${BUILD:-$top/build}/bin/xnn-fleet"
data="${DATA:-$top/build/data}"
[ -x "$fleet" ] || { echo "int8-accuracy: $fleet is missing: run make first" >&2; exit 2; }
[ -r "$data/train-images-idx3-ubyte" ] || {
	echo "int8-accuracy: no data set in $data: run make data, or give DATA=dir" >&2
	exit 2
}
cd "$top"
top1() { awk '$1 == "top1" {print $2}'; }
echo "arch,macs,f32,int8,delta"
rows=$("$fleet" supernet sample -n "$n" --seed "$seed" | tail -n +2)
i=0
deltas=()
while IFS= read -r line; do
	# "arch",macs,params: the arch holds commas
	macs=$(awk -F, '{print $(NF - 1)}' <<<"$line")
	arch=$(sed -E 's/,[0-9]+,[0-9]+$//; s/"//g' <<<"$line")
	i=$((i + 1))
	echo "int8-accuracy: $i/$n $arch" >&2
	common=(--arch "$arch" --calib "$data/train-images-idx3-ubyte"
		--images "$data/t10k-images-idx3-ubyte" --labels "$data/t10k-labels-idx1-ubyte")
	f=$("$fleet" supernet eval "${common[@]}" 2>/dev/null | top1)
	q=$("$fleet" supernet eval "${common[@]}" --precision int8 2>/dev/null | top1)
	d=$(awk -v a="$q" -v b="$f" 'BEGIN {printf "%.2f", a - b}')
	deltas+=("$d")
	echo "\"$arch\",$macs,$f,$q,$d"
done <<<"$rows"
printf '%s\n' "${deltas[@]}" | sort -g | awk '
	{ d[NR] = $1; s += $1; if ($1 >= -0.5 && $1 <= 0.5) w++ }
	END {
		printf "# %d sub-nets: int8 - f32 top-1 (points): mean %.3f, min %.2f, median %.2f, max %.2f; within 0.5: %d (%.0f%%)\n",
		       NR, s / NR, d[1], d[int((NR + 1) / 2)], d[NR], w, 100 * w / NR
	}'
