#!/usr/bin/env bash
# t0010-report.sh - xnn-fleet report on a DB made by a real sweep (this host)
# and a selection: the pages and their CSV files; headless Chromium loads each
# page with no console message, every chart loads, the pages hold no script,
# and a device whose model is <script>alert(1)</script> shows it as text; a
# screenshot of each page is kept ($BUILD/artifacts/). Without gnuplot the
# pages keep their tables and say so. A simulated fleet of 1000 devices and
# 200 sub-nets (marked simulated) is reported too, and its time printed.
set -euo pipefail
fleet="$BUILD/bin/xnn-fleet"
db="$TMPDIR/fleet.db"
out="$TMPDIR/reports"
art="$BUILD/artifacts"
mkdir -p "$art"
q() { sqlite3 "$db" "$1"; }

printf '%s\n' r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3 \
	r20-d3.3.3.3-s1:e2k3,e2k3,e2k3-s2:e2k3,e2k3,e2k3-s3:e2k3,e2k3,e2k3-s4:e2k3,e2k3,e2k3 \
	r24-d1.1.1.1-s1:e4k7-s2:e4k7-s3:e4k7-s4:e4k7 \
	r28-d1.2.1.1-s1:e3k5-s2:e3k5,e3k5-s3:e3k5-s4:e3k5 > "$TMPDIR/list"
"$fleet" sweep --devices host --adb-server none --subnets "$TMPDIR/list" --quick \
	--eval-n 100 --db "$db"
"$fleet" select --db "$db" --no-measure --evals 6 --out "$TMPDIR/m" >/dev/null
# a device that calls itself <script>alert(1)</script> (a device's strings are
# outside bytes)
q "update devices set model = '<script>alert(1)</script>' where serial = 'host'"

"$fleet" report --db "$db" --out "$out" | tee "$TMPDIR/report.out"
grep -qx "$out/index.html: 1 supernet, 1 device" "$TMPDIR/report.out"
page=$(ls "$out"/sn-*.html)
[ "$(ls "$out"/sn-*.html | wc -l)" -eq 1 ]
sub=${page%.html}
# the tables behind the charts
for f in devices.csv frontiers-f32.csv kernels.csv predict.csv dev-1-f32.csv; do
	[ -s "$sub/$f" ]
done
[ "$(tail -n +2 "$sub/dev-1-f32.csv" | wc -l)" -eq 4 ]
[ "$(head -1 "$sub/kernels.csv")" = "piece,D1" ]
[ "$(tail -n +2 "$sub/kernels.csv" | wc -l)" -eq 196 ]
# escaped, never markup; no script element; offline (no http)
grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$page"
! grep -qi '<script' "$page" "$out/index.html" || exit 1
! grep -q 'http' "$page" "$out/index.html" || exit 1
! grep -qi '<script' "$sub"/*.svg || exit 1
grep -q '<h2>Tiers</h2>' "$page"
grep -q '<strong>Timed:</strong> this host\.' "$out/index.html"
grep -q "$(jq -r '.tiers[0].arch' "$TMPDIR/m/manifest.json")" "$page"

# Chromium: no console message, every chart loads, the name is text
check() {  # check PAGE CHARTS NAME_SHOWN(true|false)
	local log title
	log=$(HOME="$TMPDIR" timeout 120 chromium --headless=new --no-sandbox --disable-gpu \
		--enable-logging=stderr --v=0 --window-size=1300,2400 \
		--screenshot="$art/report-$(basename "$1" .html).png" "file://$1" 2>&1 >/dev/null)
	if grep 'CONSOLE' <<<"$log"; then return 1; fi
	cp tests/e2e/page-check.html "$TMPDIR/check.html"
	title=$(HOME="$TMPDIR" timeout 120 chromium --headless=new --no-sandbox --disable-gpu \
		--allow-file-access-from-files --virtual-time-budget=20000 --dump-dom \
		"file://$TMPDIR/check.html#file://$1" 2>/dev/null | sed -n 's:.*<title>\(.*\)</title>.*:\1:p')
	echo "$(basename "$1"): $title"
	[ "$title" = "charts=$2 loaded=$2 scripts=0 text=$3" ]
}
# one device with results: its chart and spread, all frontiers, kernels,
# predicted against measured
check "$page" 5 true
check "$out/index.html" 0 true
ls -l "$art"/report-*.png

# without gnuplot: the same tables, no charts, a note; exit 0
PATH=/nonexistent "$fleet" report --db "$db" --out "$TMPDIR/nog" 2>"$TMPDIR/nog.err"
grep -q 'gnuplot is not installed' "$TMPDIR/nog.err"
grep -q 'Charts need gnuplot' "$TMPDIR"/nog/sn-*.html
! grep -q 'img class=chart' "$TMPDIR"/nog/sn-*.html || exit 1
[ -s "$(ls -d "$TMPDIR"/nog/sn-*/)/frontiers-f32.csv" ]

# a DB that is not one: one message, exit 1
printf 'not a database' > "$TMPDIR/bad.db"
set +e; msg=$("$fleet" report --db "$TMPDIR/bad.db" --out "$TMPDIR/bad" 2>&1); rc=$?; set -e
echo "$msg"
[ "$rc" -eq 1 ] && grep -q 'bad.db' <<<"$msg" || exit 1

# scale: 1000 simulated devices, 200 sub-nets
"$fleet" db simulate --db "$TMPDIR/sim.db" --devices 1000 --subnets 200
[ "$(sqlite3 "$TMPDIR/sim.db" "select count(*) from devices where simulated = 1")" -eq 1000 ]
[ "$(sqlite3 "$TMPDIR/sim.db" "select count(*) from devices where simulated = 0")" -eq 0 ]
start=$(date +%s.%N)
"$fleet" report --db "$TMPDIR/sim.db" --out "$TMPDIR/sim" | tee "$TMPDIR/sim.out"
echo "report of 1000 simulated devices x 200 sub-nets: $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
spage=$(ls "$TMPDIR"/sim/sn-*.html)
grep -qx "$TMPDIR/sim/index.html: 1 supernet, 1000 devices" "$TMPDIR/sim.out"
grep -q 'fmnist-ofa-simulated' "$spage"
[ "$(grep -o '<td class=sim>simulated</td>' "$spage" | wc -l)" -eq 1000 ]
[ "$(tail -n +2 "${spage%.html}/frontiers-f32.csv" | cut -d, -f1 | sort -u | wc -l)" -eq 1000 ]
# 40 device sections of 2 charts, all frontiers, kernels, predicted
check "$spage" 83 false
echo "t0010: ok"
