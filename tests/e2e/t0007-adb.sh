#!/usr/bin/env bash
# t0007-adb.sh - the whole adb path with real components on loopback:
# Debian's adb server on a private port (own HOME and TMPDIR), xnn-adbd
# personas connected with `adb connect` (an x86_64 board with shell_v2, an
# arm64 one whose agent runs under qemu-user, one on the legacy shell whose
# serial and model hold shell and HTML characters, one whose disk is full),
# then `xnn-fleet sweep`. Then the faults: a device that vanishes mid-sweep,
# the harness killed mid-sweep, the adb server stopped mid-sweep, cut and
# garbled agent output; each keeps what was stored and --resume completes it.
set -euo pipefail
command -v adb >/dev/null || { echo "adb is not installed: scripts/install-deps.sh"; exit 1; }
fleet="$BUILD/bin/xnn-fleet"
adbd="$BUILD/bin/xnn-adbd"
db="$TMPDIR/fleet.db"
P=${ANDROID_ADB_SERVER_PORT:?run through tests/run-e2e.sh (private adb port)}
export ADB_SERVER_SOCKET=
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	adb -P "$P" kill-server >/dev/null 2>&1 || true
	[ -z "${P2:-}" ] || adb -P "$P2" kill-server >/dev/null 2>&1 || true
}
trap cleanup EXIT

# Starts xnn-adbd NAME PERSONA [PORT] [options]: its port in $TMPDIR/NAME.port.
# With --no-auth (unless --refuse-auth is given): every local user could use
# it, as a board on a tunnel; --allow-root: CI runs the tests as root.
start_adbd() {
	local name=$1 persona=$2 port=${3:-0} auth=--no-auth
	shift 3 || shift $#
	case " $* " in *" --refuse-auth "*) auth= ;; esac
	rm -f "$TMPDIR/$name.port"
	"$adbd" --persona "$persona" --listen "127.0.0.1:$port" --port-file "$TMPDIR/$name.port" \
		--work "$TMPDIR/$name" --allow-root $auth "$@" 2>>"$TMPDIR/$name.log" &
	eval "pid_$name=$!"
	pids+=($!)
	for _ in $(seq 100); do [ -s "$TMPDIR/$name.port" ] && break; sleep 0.05; done
	[ -s "$TMPDIR/$name.port" ]
}
port_of() { cat "$TMPDIR/$1.port"; }
# Waits until adb lists N devices in state "device".
wait_devices() {
	for _ in $(seq 200); do
		[ "$(adb -P "$P" devices | grep -c $'\tdevice$')" -ge "$1" ] && return 0
		sleep 0.1
	done
	adb -P "$P" devices -l
	return 1
}
q() { sqlite3 "$db" "$1"; }
# Waits (at most 60 s) until the SQL count is at least N.
wait_rows() {
	for _ in $(seq 600); do
		[ "$(q "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# Waits (at most 60 s) until FILE has a line holding TEXT.
wait_line() {
	for _ in $(seq 1200); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

persona() {  # persona FILE MODEL ABI SERIAL
	printf '[ro.product.name]: [%s]\n[ro.product.model]: [%s]\n[ro.product.device]: [d]\n' \
		"xnn-test" "$2" > "$1"
	printf '[ro.product.cpu.abi]: [%s]\n[ro.serialno]: [%s]\n' "$3" "$4" >> "$1"
	printf '[ro.build.fingerprint]: [xnn/test/%s:1/T/1:user/test]\n' "$3" >> "$1"
}
nasty_serial="x;\$(touch $TMPDIR/pwned1)'\"<script>\`touch $TMPDIR/pwned2\`"
nasty_model="<script>alert(1)</script> ;\$(touch $TMPDIR/pwned3) 'q' \"d\" & | >"
persona "$TMPDIR/p-x86" "Test Board" x86_64 TB0001
persona "$TMPDIR/p-arm" "Arm Board" arm64-v8a AB0002
persona "$TMPDIR/p-nasty" "$nasty_model" x86_64 "$nasty_serial"
persona "$TMPDIR/p-full" "Full Board" x86_64 FB0004

adb -P "$P" start-server
start_adbd x86 "$TMPDIR/p-x86"
start_adbd arm "$TMPDIR/p-arm"
start_adbd nasty "$TMPDIR/p-nasty" 0 --no-shell-v2
start_adbd full "$TMPDIR/p-full" 0 --disk-bytes 1000000
for n in x86 arm nasty full; do adb -P "$P" connect "127.0.0.1:$(port_of $n)"; done
wait_devices 4
adb -P "$P" devices -l

# a refused address: no auth yet, so loopback only, --no-auth or not
set +e
msg=$("$adbd" --persona "$TMPDIR/p-x86" --listen 10.1.2.3:5555 --no-auth --allow-root 2>&1); rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q 'refusing to listen on 10.1.2.3' <<<"$msg" || exit 1

printf '%s\n' r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3 \
	r24-d1.1.1.1-s1:e4k7-s2:e4k7-s3:e4k7-s4:e4k7 > "$TMPDIR/list"
sweep() { "$fleet" sweep --devices transport=~adb --adb-server "127.0.0.1:$P" --quick \
	--eval-n 300 --db "$db" "$@"; }

# ---- the sweep over adb ------------------------------------------------------------
set +e; out=$(sweep --subnets "$TMPDIR/list" 2>"$TMPDIR/sweep1.err"); rc=$?; set -e
cat "$TMPDIR/sweep1.err"; echo "$out"
[ "$rc" -eq 1 ]  # the full device failed
grep -Eq '^TB0001 +adb +done +196 +2 ' <<<"$out"
# the arm64 board runs its agent under qemu: checked, not timed (no kernel table)
grep -Eq '^AB0002 +adb +done +0 +2 ' <<<"$out"
grep -q '^emulated (AB0002): checked, not timed: 2 of 2 sub-net rows give the host.s logits' <<<"$out"
grep -Fq "$nasty_serial" <<<"$out"
grep -F "$nasty_serial" <<<"$out" | grep -Eq ' adb +done +196 +2 '
grep -E '^FB0004 +adb +failed ' <<<"$out" | grep -q 'is the device full?'
# nothing in the persona was executed, and the DB holds the strings as they are
[ ! -e "$TMPDIR/pwned1" ] && [ ! -e "$TMPDIR/pwned2" ] && [ ! -e "$TMPDIR/pwned3" ] || exit 1
[ "$(q "select count(*) from devices where transport = 'adb'")" -eq 3 ]
[ "$(q "select model from devices where serial = 'TB0001'")" = "Test Board" ]
[ "$(q "select emulated || abi from devices where serial = 'AB0002'")" = "1arm64-v8a" ]
[ "$(q "select emulated from devices where serial = 'TB0001'")" = 0 ]
q "select serial from devices where model like '<script>%'" > "$TMPDIR/s.txt"
printf '%s\n' "$nasty_serial" | cmp - "$TMPDIR/s.txt"
q "select model from devices where model like '<script>%'" > "$TMPDIR/m.txt"
printf '%s\n' "$nasty_model" | cmp - "$TMPDIR/m.txt"
[ "$(q "select count(*) from subnet_results")" -eq 6 ]
# every device here is on loopback, on this host's CPUs: one run at a time
[ "$(q "select count(*) from runs a join runs b on a.id < b.id and a.sweep_id = b.sweep_id
   where a.started < b.ended and b.started < a.ended")" -eq 0 ]
# the same bytes and top-1 on the x86_64 board and the arm64 one under qemu
[ "$(q "select count(distinct xnm_sha256 || top1) from subnet_results")" -eq 2 ]
# the files went to the work folders: the agent, the sub-models the host
# extracted (what the rows ran: their sha256), the test images cut to
# --eval-n; the space's text where a kernel table is made (not under qemu),
# never the supernet or the training images
cmp "$BUILD/bin/xnn-agent" "$TMPDIR/x86/data/xnn-agent"
cmp "$BUILD/aarch64/bin/xnn-agent" "$TMPDIR/arm/data/xnn-agent"
"$fleet" supernet info --space | cmp - "$TMPDIR/x86/data/space.txt"
[ ! -e "$TMPDIR/arm/data/space.txt" ]
for d in x86 arm; do
	[ ! -e "$TMPDIR/$d/data/supernet.xsn" ] && [ ! -e "$TMPDIR/$d/data/train-images-idx3-ubyte" ] || exit 1
done
for d in x86 arm; do
	sha256sum "$TMPDIR/$d/data"/xnm-*.xnm | cut -d' ' -f1 | sort > "$TMPDIR/sums.$d"
	q "select distinct xnm_sha256 from subnet_results order by 1" | cmp - "$TMPDIR/sums.$d"
done
[ "$(stat -c %s "$TMPDIR/x86/data/t10k-300-images-idx3-ubyte")" -eq $((16 + 300 * 784)) ]
grep -Eq 'TB0001: 8 of 8 files pushed to .*: [0-9]+ of [0-9]+ bytes' "$TMPDIR/sweep1.err"
# what a phone is given, stored with its run: under 8 MB (the stripped
# agent, two sub-models, the space for the kernel table, 300 images)
for s in TB0001 AB0002; do
	given=$(q "select conditions from runs r join devices d on d.id = r.device_id
		   where d.serial = '$s'" | sed -n 's/.*pushed_bytes=\([0-9]*\).*/\1/p')
	echo "$s: $given bytes pushed"
	[ "$given" -gt 500000 ] && [ "$given" -lt 8000000 ] || exit 1
done

# ---- the client's calls one by one (tests/unit/host/test-adb.c, test_live):
# shell_v2 and legacy exit codes and streams, push/stat/pull, pull confined
# (in the board's work folder: its sync reaches nothing else)
mkdir -p "$TMPDIR/x86/live"
XF_TEST_ADB_SERVER="127.0.0.1:$P" XF_TEST_ADB_SERIAL="127.0.0.1:$(port_of x86)" \
	XF_TEST_ADB_LEGACY="127.0.0.1:$(port_of nasty)" XF_TEST_DIR="$TMPDIR/x86/live" \
	"$BUILD/tests/test-adb"

# ---- a device that vanishes mid-sweep ------------------------------------------------
printf '%s\n' r20-d1.1.1.1-s1:e3k3-s2:e3k3-s3:e3k3-s4:e3k3 \
	r20-d1.1.1.1-s1:e3k5-s2:e3k5-s3:e3k5-s4:e3k5 \
	r20-d1.1.1.1-s1:e2k5-s2:e2k5-s3:e2k5-s4:e2k5 \
	r20-d1.1.1.1-s1:e4k3-s2:e4k3-s3:e4k3-s4:e4k3 > "$TMPDIR/list2"
tb="select count(*) from subnet_results r join devices d on d.id = r.device_id where d.serial"
sweep --subnets "$TMPDIR/list2" --resume --devices 'serial=~^(TB0001|x;)' \
	> "$TMPDIR/out2" 2>"$TMPDIR/err2" &
spid=$!
# killed as its first row is measured (its progress line, at once; the rows
# reach the DB in batches of up to 1 s, by when --quick's 4 rows may all be in)
wait_line "$TMPDIR/err2" 'TB0001: result 1/4'
kill -9 "$pid_x86"
set +e; wait "$spid"; rc=$?; set -e
cat "$TMPDIR/err2" "$TMPDIR/out2"
[ "$rc" -eq 1 ]
grep -E '^TB0001 +adb +incomplete ' "$TMPDIR/out2" | grep -q 'went away'
grep -F "$nasty_serial" "$TMPDIR/out2" | grep -Eq ' adb +done '
have=$(q "$tb = 'TB0001'")
[ "$have" -ge 3 ] && [ "$have" -lt 6 ] || exit 1
q "select status, error from runs where sweep_id = (select max(id) from sweeps) and device_id =
   (select id from devices where serial = 'TB0001')" | grep -q '^incomplete|.*went away'
# it comes back on the same port; --resume measures only what is missing
start_adbd x86 "$TMPDIR/p-x86" "$(port_of x86)"
adb -P "$P" connect "127.0.0.1:$(port_of x86)" || true
wait_devices 4
out=$(sweep --subnets "$TMPDIR/list2" --resume --devices TB0001 2>"$TMPDIR/err3")
cat "$TMPDIR/err3"; echo "$out"
grep -q "TB0001: resuming: $((6 - have)) of 4 sub-nets" "$TMPDIR/err3"
# only the models list is new (it names fewer): the sub-models are there
grep -Eq 'TB0001: 1 of [0-9]+ files pushed' "$TMPDIR/err3"
grep -q 'TB0001: push models.txt' "$TMPDIR/err3"
[ "$(grep -c 'TB0001: push ' "$TMPDIR/err3")" -eq 1 ]
grep -Eq '^TB0001 +adb +done ' <<<"$out"
[ "$(q "$tb = 'TB0001'")" -eq 6 ]

# ---- the harness killed mid-sweep ----------------------------------------------------------
printf '%s\n' r24-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3 \
	r24-d1.1.1.1-s1:e3k3-s2:e3k3-s3:e3k3-s4:e3k3 \
	r24-d1.1.1.1-s1:e2k5-s2:e2k5-s3:e2k5-s4:e2k5 \
	r24-d1.1.1.1-s1:e3k5-s2:e3k5-s3:e3k5-s4:e3k5 \
	r24-d1.1.1.1-s1:e2k7-s2:e2k7-s3:e2k7-s4:e2k7 \
	r24-d1.1.1.1-s1:e3k7-s2:e3k7-s3:e3k7-s4:e3k7 > "$TMPDIR/list3"
sweep --subnets "$TMPDIR/list3" --resume --devices TB0001 > /dev/null 2>&1 &
spid=$!
wait_rows "$tb = 'TB0001'" 7
kill -9 "$spid"
wait "$spid" || true
[ "$(q 'pragma integrity_check')" = ok ]
sweep --subnets "$TMPDIR/list3" --resume --devices TB0001 | grep -Eq '^TB0001 +adb +done '
[ "$(q "$tb = 'TB0001'")" -eq 12 ]
[ "$(q "select count(*) from (select 1 from subnet_results group by device_id, subnet_id,
   precision, threads, cores, agent_version having count(*) > 1)")" -eq 0 ]

# ---- the adb server stopped mid-sweep: a clear error, then resume ------------------------------
printf '%s\n' r28-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3 \
	r28-d1.1.1.1-s1:e3k3-s2:e3k3-s3:e3k3-s4:e3k3 \
	r28-d1.1.1.1-s1:e2k5-s2:e2k5-s3:e2k5-s4:e2k5 \
	r28-d1.1.1.1-s1:e3k5-s2:e3k5-s3:e3k5-s4:e3k5 \
	r28-d1.1.1.1-s1:e2k7-s2:e2k7-s3:e2k7-s4:e2k7 \
	r28-d1.1.1.1-s1:e3k7-s2:e3k7-s3:e3k7-s4:e3k7 > "$TMPDIR/list4"
sweep --subnets "$TMPDIR/list4" --resume --devices TB0001 > "$TMPDIR/out4" 2>&1 &
spid=$!
wait_rows "$tb = 'TB0001'" 13
adb -P "$P" kill-server
set +e; wait "$spid"; rc=$?; set -e
cat "$TMPDIR/out4"
[ "$rc" -eq 1 ]
grep -E '^TB0001 +adb +incomplete ' "$TMPDIR/out4" | grep -q 'went away'
adb -P "$P" start-server
for n in x86 arm nasty; do adb -P "$P" connect "127.0.0.1:$(port_of $n)"; done
wait_devices 3
sweep --subnets "$TMPDIR/list4" --resume --devices TB0001 | grep -Eq '^TB0001 +adb +done '
[ "$(q "$tb = 'TB0001'")" -eq 18 ]

# ---- cut and garbled agent output ----------------------------------------------------------------
# a copy of xnn-fleet beside an "agent" that cuts bench's stream after its
# first row and ends with garbage (the real agent does everything else)
mkdir -p "$TMPDIR/fake/bin"
cp "$fleet" "$TMPDIR/fake/bin/"
cat > "$TMPDIR/fake/bin/xnn-agent" <<EOF
#!/bin/sh
if [ "\$1" = bench ]; then
	"$BUILD/bin/xnn-agent" "\$@" | head -n -2
	printf 'r20-d1,"garbage\n'
	exit 0
fi
exec "$BUILD/bin/xnn-agent" "\$@"
EOF
chmod +x "$TMPDIR/fake/bin/xnn-agent"
printf '%s\n' r28-d1.1.1.1-s1:e4k3-s2:e4k3-s3:e4k3-s4:e4k3 \
	r28-d1.1.1.1-s1:e4k5-s2:e4k5-s3:e4k5-s4:e4k5 > "$TMPDIR/list5"
set +e
out=$("$TMPDIR/fake/bin/xnn-fleet" sweep --devices TB0001 --adb-server "127.0.0.1:$P" --quick \
	--eval-n 300 --db "$db" --resume --subnets "$TMPDIR/list5" 2>&1); rc=$?
set -e
echo "$out"
[ "$rc" -eq 1 ]
grep -E '^TB0001 +adb +incomplete ' <<<"$out" | grep -q 'bench on TB0001'
[ "$(q "$tb = 'TB0001'")" -eq 19 ]  # the row before the cut is kept
# the real agent again: --resume measures the one that is missing
out=$(sweep --subnets "$TMPDIR/list5" --resume --devices TB0001 2>&1)
grep -q 'TB0001: resuming: 1 of 2 sub-nets' <<<"$out"
[ "$(q "$tb = 'TB0001'")" -eq 20 ]
[ "$(q 'pragma integrity_check')" = ok ]

# a well-formed stream with a damaged value: that row is refused, the rest kept
cat > "$TMPDIR/fake/bin/xnn-agent" <<EOF
#!/bin/sh
if [ "\$1" = bench ]; then
	"$BUILD/bin/xnn-agent" "\$@" | awk -F, -v OFS=, '/^#/ { print; next }
		!h { for (i = 1; i <= NF; i++) if (\$i == "median_ms") m = i; h = 1; print; next }
		!d { \$m = "-5"; d = 1 } { print }'
	exit 0
fi
exec "$BUILD/bin/xnn-agent" "\$@"
EOF
printf '%s\n' r24-d1.1.1.1-s1:e4k3-s2:e4k3-s3:e4k3-s4:e4k3 \
	r24-d1.1.1.1-s1:e4k5-s2:e4k5-s3:e4k5-s4:e4k5 > "$TMPDIR/list6"
set +e
out=$("$TMPDIR/fake/bin/xnn-fleet" sweep --devices TB0001 --adb-server "127.0.0.1:$P" --quick \
	--eval-n 300 --db "$db" --resume --subnets "$TMPDIR/list6" 2>&1); rc=$?
set -e
echo "$out"
[ "$rc" -eq 1 ]
grep -E '^TB0001 +adb +incomplete ' <<<"$out" | grep -q "median_ms '-5' is not a number"
[ "$(q "$tb = 'TB0001'")" -eq 21 ]
[ "$(q "select count(*) from subnet_results where median_ms < 0")" -eq 0 ]
sweep --subnets "$TMPDIR/list6" --resume --devices TB0001 | grep -Eq '^TB0001 +adb +done '
[ "$(q "$tb = 'TB0001'")" -eq 22 ]

# ---- a second adb server with a phone that does not authorize this host ---------------
# (xnn-adbd --refuse-auth asks for ADB auth and accepts no key)
persona "$TMPDIR/p-locked" "Locked Phone" arm64-v8a LP0005
start_adbd locked "$TMPDIR/p-locked" 0 --refuse-auth
P2=$((P + 1))
adb -P "$P2" start-server
adb -P "$P2" connect "127.0.0.1:$(port_of locked)" || true
out=$("$fleet" devices --csv --adb-server "127.0.0.1:$P" --adb-server "127.0.0.1:$P2")
echo "$out"
grep -q '^TB0001,adb,x86_64,Test Board,yes,$' <<<"$out"
grep -q '^AB0002,adb,arm64-v8a,Arm Board,yes,$' <<<"$out"
grep "^127.0.0.1:$(port_of locked),adb," <<<"$out" | grep -q ',no,"unauthorized: unlock the device'
# a sweep lists it with what to do instead of skipping it silently
out=$("$fleet" sweep --dry-run --adb-server "127.0.0.1:$P2")
grep "^device,127.0.0.1:$(port_of locked),adb," <<<"$out" | grep -q "Allow USB debugging"

# ---- what a phone is given on the default sweep: under 8 MB --------------------------
# (six sub-nets in f32, 500 test images, the kernel table: a DB of its own,
# as for a phone never swept; --quick only shortens the timing). The agent
# counts; this board's x86_64 agent is the largest of the three ABIs'
# (arm64-v8a's is about half its size)
pdb="$TMPDIR/phone.db"
out=$("$fleet" sweep --devices TB0001 --adb-server "127.0.0.1:$P" --quick --db "$pdb" 2>&1)
echo "$out"
grep -Eq '^TB0001 +adb +done +196 +6 ' <<<"$out"
conditions=$(sqlite3 "$pdb" "select conditions from runs")
echo "$conditions"
given=$(sed -n 's/.*staged_bytes=\([0-9]*\).*/\1/p' <<<"$conditions")
echo "a phone's default sweep: $given bytes, agent included"
[ "$given" -gt "$(stat -c %s "$BUILD/bin/xnn-agent")" ] && [ "$given" -lt 8000000 ] || exit 1
[ "$(sqlite3 "$pdb" "select count(*) from subnet_results where eval_images = 500
   and precision = 'f32'")" -eq 6 ]
