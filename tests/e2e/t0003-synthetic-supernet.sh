#!/usr/bin/env bash
# t0003-synthetic-supernet.sh - xnn-fleet supernet synth writes the
# ImageNet-scale space: it loads, is MobileNet-sized, and the same seed gives
# the same bytes while another seed does not.
set -euo pipefail
fleet="$BUILD/bin/xnn-fleet"
"$fleet" supernet synth --out "$TMPDIR/a.xsn" --seed 3
"$fleet" supernet synth --out "$TMPDIR/b.xsn" --seed 3
"$fleet" supernet synth --out "$TMPDIR/c.xsn" --seed 4
cmp "$TMPDIR/a.xsn" "$TMPDIR/b.xsn"
! cmp -s "$TMPDIR/a.xsn" "$TMPDIR/c.xsn" || exit 1
out=$("$fleet" supernet info --supernet "$TMPDIR/a.xsn")
echo "$out"
grep -q '^name        ofa-mbv3-synthetic$' <<<"$out"
grep -q '^input       3x224x224' <<<"$out"
macs=$(sed -n 's/^largest     r224-d4\.4\.4\.4\.4-.* (\([0-9]*\) MACs.*/\1/p' <<<"$out")
[ "$macs" -gt 300000000 ] && [ "$macs" -lt 1000000000 ] || exit 1
set +e
"$fleet" supernet synth 2>/dev/null; rc=$?
set -e
[ "$rc" -eq 2 ]
echo "synthetic supernet ok ($macs MACs largest)"
