#!/usr/bin/env bash
# t0006-sweep.sh - xnn-fleet sweep over this host and the emulated aarch64
# device (qemu-user) into a fresh DB: every device probed and stored, every
# sub-net measured on each, the emulated one marked so and only checked (the
# host's logits, no kernel table), the same sub-model sha256 and top-1 on
# both, the two never run at once; --resume then measures and extracts
# nothing again.
set -euo pipefail
fleet="$BUILD/bin/xnn-fleet"
db="$TMPDIR/fleet.db"
printf '%s\n' r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3 \
	r24-d1.1.1.1-s1:e4k7-s2:e4k7-s3:e4k7-s4:e4k7 > "$TMPDIR/list"

out=$("$fleet" sweep --devices host,qemu-aarch64 --subnets "$TMPDIR/list" --quick \
	--eval-n 300 --db "$db" 2> "$TMPDIR/sweep.err")
cat "$TMPDIR/sweep.err" >&2
echo "$out"
grep -Eq '^host +local +done +196 +2 ' <<<"$out"
# the kernel table's progress: a count of the agent's total and an ETA
grep -Eq '^host: kernels 20/196 rows, ETA [0-9]+ s$' "$TMPDIR/sweep.err"
grep -q '^host: kernels 196/196 rows$' "$TMPDIR/sweep.err"
grep -Eq '^qemu-aarch64 +emulated +done +0 +2 ' <<<"$out"
grep -q '^emulated (qemu-aarch64): checked, not timed: 2 of 2 sub-net rows give the host.s logits' <<<"$out"

# the host's reference, once per sub-net: top-1 on all 10,000 test images
# (within 0.1 of what PyTorch gets, test-golden checks) and the logits the
# devices match
q() { sqlite3 "$db" "$1"; }
[ "$(q "select count(*) from subnets where test_top1 between 80 and 100 and
   val_top1 between 80 and 100 and ref_logits like '0,%'")" -eq 2 ]
# the smallest sub-net: PyTorch's own numbers (models/fmnist-ofa.golden.json)
[ "$(q "select test_top1 || ' ' || val_top1 from subnets where arch like 'r20-d1.1.1.1-%e2k3'")" = \
  "90.01 90.1" ]
[ "$(q "select max(max_logit_diff) from subnet_results r join devices d on d.id = r.device_id
   where d.serial = 'host'")" = 0.0 ]
q "select max(max_logit_diff) from subnet_results" | awk '{exit !($1 < 1e-3)}'

# both on this host's CPUs: one after the other, the host first (ISO times
# compare as text)
[ "$(q "select count(*) from runs h join runs e on e.sweep_id = h.sweep_id
   join devices dh on dh.id = h.device_id join devices de on de.id = e.device_id
   where dh.serial = 'host' and de.serial = 'qemu-aarch64' and e.started >= h.ended")" -eq 1 ]

info=$("$fleet" db info --db "$db")
echo "$info"
grep -q '^devices         2$' <<<"$info"
grep -q '^sub-net results 4$' <<<"$info"

csv=$("$fleet" db export --csv --db "$db")
echo "$csv" | cut -c1-200
# the emulated device is marked; both ran the same bytes with the same top-1
# (depth-1 archs: no commas, so awk can split the CSV)
[ "$(grep -c ',qemu-aarch64,' <<<"$csv")" -eq 2 ]
grep ',qemu-aarch64,' <<<"$csv" | grep -q ',arm64-v8a,1,0,'
for arch in $(cat "$TMPDIR/list"); do
	a=$(grep ",host,.*,$arch," <<<"$csv" | awk -F, '{print $35, $37}')
	b=$(grep ",qemu-aarch64,.*,$arch," <<<"$csv" | awk -F, '{print $35, $37}')
	echo "$arch: host $a, qemu-aarch64 $b"
	[ -n "$a" ] && [ "$a" = "$b" ] || exit 1
done

# resume: nothing left to measure, nothing stored twice, nothing extracted
out=$("$fleet" sweep --devices host,qemu-aarch64 --subnets "$TMPDIR/list" --quick \
	--eval-n 300 --db "$db" --resume 2>&1)
echo "$out"
grep -q 'host: resuming: 0 of 2 sub-nets' <<<"$out"
! grep -q 'host extract' <<<"$out" || exit 1
grep -q 'qemu-aarch64: kernels: not timed under emulation' <<<"$out"
"$fleet" db info --db "$db" | grep -q '^sub-net results 4$'

# int8 beside f32 (--resume: only the int8 rows are new, only the int8
# sub-models extracted), the same bytes as this host's extraction, smaller in
# memory
out=$("$fleet" sweep --devices host,qemu-aarch64 --subnets "$TMPDIR/list" --quick \
	--eval-n 300 --db "$db" --resume --precision f32,int8 2>&1)
echo "$out"
grep -q '^host extract: 2 sub-models' <<<"$out"
"$fleet" db info --db "$db" | grep -q '^sub-net results 8$'
[ "$(q "select count(*) from subnet_results where precision = 'int8' and status = 'ok'")" -eq 4 ]
small=r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3
"$fleet" supernet extract --arch "$small" --precision int8 --out "$TMPDIR/small-int8.xnm" \
	--calib "${DATA:-$BUILD/data}/train-images-idx3-ubyte" >/dev/null
want=$(sha256sum "$TMPDIR/small-int8.xnm" | cut -c1-64)
[ "$(q "select count(distinct xnm_sha256) || ' ' || max(xnm_sha256) from subnet_results r
   join subnets s on s.id = r.subnet_id where r.precision = 'int8' and s.arch = '$small'")" = "1 $want" ]
q "select r8.arena_bytes, r32.arena_bytes, r8.top1, r32.top1 from subnet_results r8
   join subnet_results r32 on r32.device_id = r8.device_id and r32.subnet_id = r8.subnet_id
   where r8.precision = 'int8' and r32.precision = 'f32'" |
	awk -F'|' '{print; if (!($1 < $2 && $3 > $4 - 3)) exit 1}'
set +e; msg=$("$fleet" sweep --devices host --precision f16 --db "$db" 2>&1); rc=$?; set -e
[ "$rc" -eq 2 ] && grep -q "give f32, int8 or f32,int8" <<<"$msg" || exit 1

# the default plan: 6 distinct sub-nets, largest and smallest first, the rest
# spread over the cost range (ascending MACs strictly between the two)
plan=$("$fleet" sweep --dry-run --db "$db")
echo "$plan"
grep -q '^device,host,local,x86_64,' <<<"$plan"
[ "$(sed -n 1,2p <<<"$plan")" = "$(printf '# device,serial,transport,abi,agent,problem\n# subnet,arch,macs')" ]
[ "$(grep -c '^subnet,' <<<"$plan")" -eq 6 ]
[ "$(grep '^subnet,' <<<"$plan" | sort -u | wc -l)" -eq 6 ]
macs=$(grep '^subnet,' <<<"$plan" | awk -F, '{print $NF}')
big=$(sed -n 1p <<<"$macs"); small=$(sed -n 2p <<<"$macs")
[ "$big" = 14541856 ] && [ "$small" = 1037056 ] || exit 1
tail -n +3 <<<"$macs" | sort -nc
tail -n +3 <<<"$macs" | awk -v lo="$small" -v hi="$big" '$1 <= lo || $1 >= hi {exit 1}'

# device expressions (PCRE2): by ABI, by transport; a bad pattern or field
# is one clear error, exit 2
[ "$("$fleet" sweep --dry-run --devices 'abi=~^arm' | grep -c '^device,')" -eq 2 ]
"$fleet" sweep --dry-run --devices 'transport=~^local$' | grep -q '^device,host,'
set +e; msg=$("$fleet" sweep --dry-run --devices 'serial=~(' 2>&1); rc=$?; set -e
[ "$rc" -eq 2 ] && grep -q 'the pattern is bad' <<<"$msg" || exit 1
set +e; msg=$("$fleet" sweep --dry-run --devices 'colour=~x' 2>&1); rc=$?; set -e
[ "$rc" -eq 2 ] && grep -q "'colour' is not a field" <<<"$msg" || exit 1

# no such device: says which there are
set +e; msg=$("$fleet" sweep --devices pixel9 --db "$db" 2>&1); rc=$?; set -e
echo "$msg"
[ "$rc" -eq 1 ] && grep -q "no device matches 'pixel9'; found: host qemu-aarch64 qemu-arm" <<<"$msg" || exit 1

# latency prediction from the kernel tables: every piece of any sub-net is in
# each device's table (no "no ... in the kernel table"), and the two measured
# sub-nets calibrate it (leave-one-out runs)
"$fleet" supernet sample -n 30 --seed 3 | tail -n +2 | sed 's/^"//; s/",[0-9]*,[0-9]*$//; s/,[0-9]*,[0-9]*$//' \
	> "$TMPDIR/sample"
args=()
while read -r a; do args+=(--arch "$a"); done < "$TMPDIR/sample"
pred=$("$fleet" predict --db "$db" "${args[@]}")
echo "$pred" | head -4
[ "$(grep -c '^host,' <<<"$pred")" -eq 30 ]
! grep -q '^qemu-aarch64,' <<<"$pred" || exit 1
! grep -q 'kernel table' <<<"$pred" || exit 1
"$fleet" predict --db "$db" --arch r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3 2>&1 >/dev/null |
	grep -q '1 emulated device left out: their times describe no phone'
# select leaves the emulated device out of the tiers, and says so
sel=$("$fleet" select --db "$db" --no-measure --evals 8 --precision f32 --out "$TMPDIR/sel" 2>&1)
echo "$sel" | grep emulated
grep -q '1 emulated device: checked, not timed: left out of the tiers' <<<"$sel"
[ "$(jq '[.tiers[].devices[]?.serial] | map(select(. == "qemu-aarch64")) | length' \
   "$TMPDIR/sel/manifest.json")" -eq 0 ]
ev=$("$fleet" predict --db "$db" --eval)
echo "$ev"
grep -Eq '^host +2 ' <<<"$ev"
set +e; msg=$("$fleet" predict --db "$db" --eval --threads 3 2>&1); rc=$?; set -e
[ "$rc" -eq 1 ] && grep -q 'no device .* has a kernel table for 3 threads' <<<"$msg" || exit 1
