#!/usr/bin/env bash
# t0001-supernet-info.sh - xnn-fleet supernet info/sample as a user runs them:
# the output describes the file, sampling is repeatable, and a corrupted or
# missing file gives one clear error and exit status 1.
set -euo pipefail
fleet="$BUILD/bin/xnn-fleet"
tiny=tests/fuzz/corpus-xsn/tiny.xsn

"$fleet" --help | grep -q 'supernet'
"$fleet" supernet --help | grep -q 'sample'

out=$("$fleet" supernet info --supernet "$tiny")
echo "$out"
sum=$(sha256sum "$tiny" | cut -d' ' -f1)
grep -q "^sha256      $sum\$" <<<"$out"
grep -q '^name        tiny$' <<<"$out"
grep -q '^largest     r4-d1-s1:e1k3 (460 MACs, 64 params)$' <<<"$out"

# the same seed, the same sub-nets; CSV with a header
a=$("$fleet" supernet sample --supernet "$tiny" -n 3 --seed 7 --largest)
b=$("$fleet" supernet sample --supernet "$tiny" -n 3 --seed 7 --largest)
[ "$a" = "$b" ]
[ "$(head -1 <<<"$a")" = "arch,macs,params" ]
[ "$(wc -l <<<"$a")" -eq 5 ]

# a flipped byte: checksum error naming the file, exit 1
cp "$tiny" "$TMPDIR/bad.xsn"
printf '\x7f' | dd of="$TMPDIR/bad.xsn" bs=1 seek=2000 conv=notrunc status=none
set +e
msg=$("$fleet" supernet info --supernet "$TMPDIR/bad.xsn" 2>&1 >/dev/null); rc=$?
set -e
echo "$msg"
[ "$rc" -eq 1 ]
grep -q "bad.xsn" <<<"$msg"
grep -q "checksum mismatch" <<<"$msg"
[ "$(wc -l <<<"$msg")" -eq 1 ]

# missing file, bad arguments
set +e
msg=$("$fleet" supernet info --supernet "$TMPDIR/none.xsn" 2>&1); rc=$?
"$fleet" supernet sample --supernet "$tiny" -n -4 2>/dev/null; rc2=$?
"$fleet" supernet frobnicate 2>/dev/null; rc3=$?
"$fleet" frobnicate 2>/dev/null; rc4=$?
set -e
[ "$rc" -eq 1 ] && grep -q "cannot open.*none.xsn" <<<"$msg" || exit 1
[ "$rc2" -eq 2 ] && [ "$rc3" -eq 2 ] && [ "$rc4" -eq 2 ] || exit 1

# an unknown option: the message named by the command, the usage lines and
# where the rest is, not the whole help; exit 2
for c in sweep select report devices "db simulate" "supernet extract"; do
	set +e
	msg=$("$fleet" $c --frobnicate 2>&1 >/dev/null); rc=$?
	set -e
	[ "$rc" -eq 2 ]
	grep -q "^xnn-fleet $c: unrecognized option '--frobnicate'" <<<"$msg"
	grep -q "^usage: xnn-fleet $c" <<<"$msg"
	[ "$(tail -1 <<<"$msg")" = "'xnn-fleet $c --help' tells more." ]
	[ "$(wc -l <<<"$msg")" -lt "$("$fleet" $c --help | wc -l)" ]
done
echo "all checks passed"
