#!/usr/bin/env bash
# t0005-agent.sh - xnn-agent as the harness runs it: probe and bench streams
# end with "#end rows=N" matching their rows; the same sub-net gives the same
# top-1 and sub-model sha256 natively and under qemu-aarch64; bad input gives
# an error row or message and a non-zero exit status. bench --models runs
# the host's extraction as it is, after checking its sha256.
set -euo pipefail
agent="$BUILD/bin/xnn-agent"
arm="$BUILD/aarch64/bin/xnn-agent"
data="${DATA:-$BUILD/data}"
calib="$data/train-images-idx3-ubyte"
eval="$data/t10k-images-idx3-ubyte"

fleet="$BUILD/bin/xnn-fleet"
rows_ok() {  # the harness's reader takes it whole, and "#end rows=N" is last
	local f=$1
	"$fleet" agent-check "$f"
	tail -1 "$f" | grep -q '^#end rows=[0-9]*$'
}

"$agent" probe > "$TMPDIR/probe.csv"
rows_ok "$TMPDIR/probe.csv"
grep -q '^abi,x86_64$' "$TMPDIR/probe.csv"
[ "$(grep -v '^#' "$TMPDIR/probe.csv" | head -1)" = "key,value" ]

printf 'smallest\n' > "$TMPDIR/list"
"$agent" bench --supernet models/fmnist-ofa.xsn --subnets "$TMPDIR/list" --calib "$calib" \
	--eval "$eval" --eval-n 1000 --quick > "$TMPDIR/x86.csv"
cat "$TMPDIR/x86.csv"
rows_ok "$TMPDIR/x86.csv"
col() {  # col FILE NAME: that column of the first data row
	awk -F, -v name="$2" '/^#/ {next} !h {for (i = 1; i <= NF; i++) if ($i == name) c = i; h = 1; next} {print $c; exit}' "$1"
}
[ "$(col "$TMPDIR/x86.csv" status)" = ok ]
[ "$(col "$TMPDIR/x86.csv" eval_images)" = 1000 ]

if [ -x "$arm" ]; then
	qemu-aarch64 "$arm" probe > "$TMPDIR/probe-arm.csv"
	rows_ok "$TMPDIR/probe-arm.csv"
	grep -q '^abi,arm64-v8a$' "$TMPDIR/probe-arm.csv"
	grep -q '^emulator,yes$' "$TMPDIR/probe-arm.csv"
	qemu-aarch64 "$arm" bench --supernet models/fmnist-ofa.xsn --subnets "$TMPDIR/list" \
		--calib "$calib" --eval "$eval" --eval-n 1000 --quick > "$TMPDIR/arm.csv"
	rows_ok "$TMPDIR/arm.csv"
	for c in sha256 top1 arch; do
		[ "$(col "$TMPDIR/x86.csv" $c)" = "$(col "$TMPDIR/arm.csv" $c)" ]
	done
	echo "same sha256 and top-1 under qemu-aarch64: $(col "$TMPDIR/arm.csv" sha256) $(col "$TMPDIR/arm.csv" top1)"
else
	echo "no $arm: run 'make agents' for the qemu-aarch64 half" >&2
	exit 1
fi

# --models: the host's extraction (xnn-fleet supernet extract), its sha256
# checked, then run as it is: the same bytes and top-1 as the extraction
# here and under qemu-aarch64 (there with --check, as the sweep runs emulated
# devices: one run, no timing loop, flagged untimed); a damaged copy is that
# model's error row, saying what to do, and the other model runs
arch=$(col "$TMPDIR/x86.csv" arch)
"$fleet" supernet extract --arch "$arch" --out "$TMPDIR/small.xnm" --calib "$calib" >/dev/null
sum=$(sha256sum "$TMPDIR/small.xnm" | cut -c1-64)
[ "$sum" = "$(col "$TMPDIR/x86.csv" sha256)" ]
cp "$TMPDIR/small.xnm" "$TMPDIR/damaged.xnm"
printf '\001' | dd of="$TMPDIR/damaged.xnm" bs=1 seek=200 conv=notrunc 2>/dev/null
printf '# the host extracted these\n%s\tf32\tsmall.xnm\t%s\n%s\tf32\tdamaged.xnm\t%s\n' \
	"$arch" "$sum" "$arch" "$sum" > "$TMPDIR/models.txt"
for run in "" qemu-aarch64; do
	a=$agent how=--quick; [ -z "$run" ] || { a=$arm; how=--check; }
	set +e
	$run "$a" bench --models "$TMPDIR/models.txt" --eval "$eval" --eval-n 1000 $how \
		> "$TMPDIR/models.csv" 2> "$TMPDIR/models.err"; rc=$?
	set -e
	cat "$TMPDIR/models.csv" "$TMPDIR/models.err"
	[ "$rc" -eq 1 ]
	rows_ok "$TMPDIR/models.csv"
	for c in sha256 top1 arch; do
		[ "$(col "$TMPDIR/models.csv" $c)" = "$(col "$TMPDIR/x86.csv" $c)" ]
	done
	grep -q "^1,.*,error,.*damaged.xnm': re-run the sweep; the file was damaged in transfer" \
		"$TMPDIR/models.csv"
	if [ -n "$run" ]; then
		[ "$(col "$TMPDIR/models.csv" n)" = 1 ] && [ "$(col "$TMPDIR/models.csv" flags)" = untimed ] || exit 1
		[ -z "$(col "$TMPDIR/models.csv" median_lo_ms)" ]
	else
		[ "$(col "$TMPDIR/models.csv" n)" -ge 10 ]
	fi
done

# a cut stream: the reader says so, exit 1
head -c -20 "$TMPDIR/x86.csv" > "$TMPDIR/cut.csv"  # into its row: no "#end rows=1"
set +e; msg=$("$fleet" agent-check "$TMPDIR/cut.csv" 2>&1); rc=$?; set -e
echo "$msg"
[ "$rc" -eq 1 ] && grep -q 'cut' <<<"$msg" || exit 1

# an arch not in the space: an error row, exit 1, the stream still complete
printf 'smallest\nr20-d9.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3\n' > "$TMPDIR/bad"
set +e
"$agent" bench --supernet models/fmnist-ofa.xsn --subnets "$TMPDIR/bad" --calib "$calib" \
	--quick --start 1 > "$TMPDIR/bad.csv" 2> "$TMPDIR/bad.err"; rc=$?
set -e
cat "$TMPDIR/bad.csv" "$TMPDIR/bad.err"
[ "$rc" -eq 1 ]
rows_ok "$TMPDIR/bad.csv"
grep -q ',error,.*depth 9 of stage 1 is not in the space' "$TMPDIR/bad.csv"
[ "$(grep -vc '^#' "$TMPDIR/bad.csv")" -eq 2 ]   # header + the one row after --start 1

fails() {  # fails STATUS PATTERN CMD...
	local want=$1 pat=$2; shift 2
	set +e; msg=$("$@" 2>&1 >/dev/null); rc=$?; set -e
	echo "$msg"
	[ "$rc" -eq "$want" ] && grep -q -- "$pat" <<<"$msg" || exit 1
}
fails 1 "cannot open '$TMPDIR/none.xsn'" "$agent" bench --supernet "$TMPDIR/none.xsn" --subnets "$TMPDIR/list"
fails 1 "give --calib" "$agent" bench --supernet models/fmnist-ofa.xsn --subnets "$TMPDIR/list"
fails 1 "cannot read '$TMPDIR/nolist'" "$agent" bench --supernet models/fmnist-ofa.xsn --subnets "$TMPDIR/nolist" --calib "$calib"
fails 2 "cores" "$agent" bench --supernet models/fmnist-ofa.xsn --subnets "$TMPDIR/list" --cores 99
fails 2 "give --supernet" "$agent" bench
fails 2 "give one of them" "$agent" bench --models "$TMPDIR/models.txt" --quick --check
fails 2 "give no --supernet" "$agent" bench --models "$TMPDIR/models.txt" --precision int8
fails 1 "line 1: 1 field, not 4" "$agent" bench --models "$TMPDIR/list"
# a budget too small for one run: an error row, exit 1
set +e
"$agent" bench --supernet models/fmnist-ofa.xsn --subnets "$TMPDIR/list" --calib "$calib" \
	--budget-s 0.01 > "$TMPDIR/budget.csv" 2>/dev/null; rc=$?
set -e
cat "$TMPDIR/budget.csv"
[ "$rc" -eq 1 ]
rows_ok "$TMPDIR/budget.csv"
grep -q 'budget spent' "$TMPDIR/budget.csv"

# kernels: one row per distinct piece; the shipped space has 2 resizes,
# 3 stems, 3 resolutions x 4 stages x (first, later) x 3 expands x 3 kernels
# blocks of which 27 repeat (20 and 24 both reach 3x3 in the last stage:
# 189 distinct), and 2 distinct heads = 196 rows, said first on stderr (the
# sweep's count and ETA; stdout is the table only)
"$agent" kernels --supernet models/fmnist-ofa.xsn --quick > "$TMPDIR/k.csv" 2> "$TMPDIR/k.err"
rows_ok "$TMPDIR/k.csv"
[ "$(tail -1 "$TMPDIR/k.csv")" = "#end rows=196" ]
[ "$(head -1 "$TMPDIR/k.err")" = "kernels: 196 rows to time (196 pieces x 1 thread count)" ]
! grep -q 'rows to time' "$TMPDIR/k.csv" || exit 1
[ "$(grep -c '^block,' "$TMPDIR/k.csv")" -eq 189 ]
# no piece twice: the key columns (piece .. stride) are unique
[ "$(grep -v '^#' "$TMPDIR/k.csv" | cut -d, -f1-9 | sort | uniq -d | wc -l)" -eq 0 ]
# the same pieces under qemu-aarch64 (the tiny space: quick), there from the
# space's text alone (what the sweep pushes instead of the supernet)
"$fleet" supernet info --supernet tests/fuzz/corpus-xsn/tiny.xsn --space > "$TMPDIR/space.txt"
[ "$(stat -c %s "$TMPDIR/space.txt")" -lt 1000 ]
"$agent" kernels --supernet tests/fuzz/corpus-xsn/tiny.xsn --quick --threads 1,2 > "$TMPDIR/kt.csv" \
	2> "$TMPDIR/kt.err"
n=$(sed -n 's/^#end rows=//p' "$TMPDIR/kt.csv")
grep -q "^kernels: $n rows to time (.* x 2 thread counts)\$" "$TMPDIR/kt.err"
qemu-aarch64 "$arm" kernels --space "$TMPDIR/space.txt" --quick --threads 1,2 > "$TMPDIR/kt-arm.csv"
! grep -q '^#supernet_sha256=' "$TMPDIR/kt-arm.csv" || exit 1
rows_ok "$TMPDIR/kt-arm.csv"
diff <(grep -v '^#' "$TMPDIR/kt.csv" | cut -d, -f1-12) <(grep -v '^#' "$TMPDIR/kt-arm.csv" | cut -d, -f1-12)
fails 1 "cannot open '$TMPDIR/none.xsn'" "$agent" kernels --supernet "$TMPDIR/none.xsn"
fails 2 "give --supernet FILE or --space FILE" "$agent" kernels
fails 2 "give --supernet FILE or --space FILE" "$agent" kernels --space "$TMPDIR/space.txt" \
	--supernet models/fmnist-ofa.xsn
head -c 40 "$TMPDIR/space.txt" > "$TMPDIR/space-cut.txt"
fails 1 "space-cut.txt': space: " "$agent" kernels --space "$TMPDIR/space-cut.txt"
