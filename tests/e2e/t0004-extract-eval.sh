#!/usr/bin/env bash
# t0004-extract-eval.sh - xnn-fleet supernet extract|eval on the shipped
# supernet as a user runs them: the .xnm's printed sha256 is sha256sum's, an
# extraction repeats byte for byte, eval of the file and of the arch agree
# with PyTorch's golden top-1, and bad files or arguments give one clear
# error with exit status 1 or 2.
set -euo pipefail
fleet="$BUILD/bin/xnn-fleet"
small=r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3

"$fleet" supernet extract --help | grep -q 'recalibrated'
"$fleet" supernet eval --help | grep -q 'top1'

out=$("$fleet" supernet extract --arch smallest --out "$TMPDIR/s.xnm")
echo "$out"
sum=$(sha256sum "$TMPDIR/s.xnm" | cut -d' ' -f1)
grep -q "^sha256      $sum  $TMPDIR/s.xnm\$" <<<"$out"
grep -q "^arch        $small\$" <<<"$out"
"$fleet" supernet extract --arch "$small" --out "$TMPDIR/s2.xnm" --threads 1 >/dev/null
cmp "$TMPDIR/s.xnm" "$TMPDIR/s2.xnm"

# the golden top-1 of the smallest sub-net (models/fmnist-ofa.golden.json)
golden=$(grep -A5 "\"arch\": \"$small\"" models/fmnist-ofa.golden.json |
	sed -n 's/.*"test_top1": \([0-9.]*\).*/\1/p')
want=$(printf 'top1 %.2f' "$golden")
a=$("$fleet" supernet eval --model "$TMPDIR/s.xnm")
echo "$a"
[ "$(tail -1 <<<"$a")" = "$want" ]
b=$("$fleet" supernet eval --arch smallest --threads 1 --isa scalar --batch 7)
[ "$(tail -1 <<<"$b")" = "$want" ]
# logits rows: CSV, 10 values each
c=$("$fleet" supernet eval --model "$TMPDIR/s.xnm" -n 3 --logits 3)
[ "$(grep -c '^logits,' <<<"$c")" -eq 3 ]
[ "$(grep '^logits,2,' <<<"$c" | tr ',' '\n' | wc -l)" -eq 12 ]

fails() {  # fails STATUS PATTERN CMD...: exit STATUS, one line on stderr matching PATTERN
	local want=$1 pat=$2; shift 2
	set +e; msg=$("$@" 2>&1 >/dev/null); rc=$?; set -e
	echo "$msg"
	[ "$rc" -eq "$want" ] && grep -q -- "$pat" <<<"$msg" || exit 1
}
cp "$TMPDIR/s.xnm" "$TMPDIR/bad.xnm"
printf '\x7f' | dd of="$TMPDIR/bad.xnm" bs=1 seek=5000 conv=notrunc status=none
fails 1 "bad.xnm': model: checksum mismatch" "$fleet" supernet eval --model "$TMPDIR/bad.xnm"
head -c 1000 "$TMPDIR/s.xnm" > "$TMPDIR/cut.xnm"
fails 1 "cut.xnm'" "$fleet" supernet eval --model "$TMPDIR/cut.xnm"
fails 1 "not in the space" "$fleet" supernet extract --arch r20-d9 --out "$TMPDIR/x.xnm"
fails 1 "cannot open '$TMPDIR/none.gz'" "$fleet" supernet eval --arch smallest --images "$TMPDIR/none.gz"
fails 2 "give --arch ARCH or --model" "$fleet" supernet eval
fails 2 "give --arch ARCH and --out" "$fleet" supernet extract --arch smallest
fails 2 "threads" "$fleet" supernet eval --arch smallest --threads 0
[ ! -e "$TMPDIR/x.xnm" ]
