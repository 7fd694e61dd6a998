#!/usr/bin/env bash
# t0002-shipped-supernet.sh - the shipped supernet loads, is the file its
# golden data was made from, and for every golden sub-net the C arch string,
# MACs and parameters equal those scripts/export_xsn.py computed in Python.
set -euo pipefail
fleet="$BUILD/bin/xnn-fleet"
golden=models/fmnist-ofa.golden.json

# The golden JSON has one key per line (json.dump indent=1): read it with sed.
want_sum=$(sed -n 's/^ "xsn_sha256": "\([0-9a-f]*\)",$/\1/p' "$golden")
[ ${#want_sum} -eq 64 ]
"$fleet" supernet info | grep -q "^sha256      $want_sum\$"

mapfile -t archs < <(sed -n 's/^ *"arch": "\(.*\)",$/\1/p' "$golden")
mapfile -t macs < <(sed -n 's/^ *"macs": \([0-9]*\),$/\1/p' "$golden")
mapfile -t params < <(sed -n 's/^ *"params": \([0-9]*\),$/\1/p' "$golden")
[ ${#archs[@]} -ge 10 ] && [ ${#archs[@]} -eq ${#macs[@]} ] && [ ${#archs[@]} -eq ${#params[@]} ] || exit 1
args=()
for a in "${archs[@]}"; do args+=(--arch "$a"); done
got=$("$fleet" supernet info "${args[@]}")
echo "$got"
for i in "${!archs[@]}"; do
	a=${archs[$i]}
	[[ $a != *,* ]] || a="\"$a\""  # CSV: a field holding a comma is quoted
	grep -qxF "$a,${macs[$i]},${params[$i]}" <<<"$got"
done
# an arch outside the space is refused with one line naming it
set +e
msg=$("$fleet" supernet info --arch 'r32-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3' 2>&1 >/dev/null); rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q 'resolution 32' <<<"$msg" || exit 1
echo "${#archs[@]} golden sub-nets agree"
