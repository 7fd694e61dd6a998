#!/usr/bin/env bash
# t0012-faults.sh - the sweep under faults, through Debian's adb server on a
# private port and xnn-adbd personas on loopback: two boards that report the
# same serial (0123456789ABCDEF) stay two devices, each with its rows; a
# board whose agent goes silent mid-bench ends as 'hung' after
# --hang-timeout while the others complete, and --resume completes it; its
# serial holds an ESC sequence, which reaches the terminal as \x1b; a device
# named on the command line that cannot run (no agent build) is an error.
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
	[ ! -s "$TMPDIR/hang.pid" ] || kill "$(cat "$TMPDIR/hang.pid")" 2>/dev/null || true
	adb -P "$P" kill-server >/dev/null 2>&1 || true
}
trap cleanup EXIT
q() { sqlite3 "$db" "$1"; }
none() { ! grep -q "$@"; }  # a failure under set -e, unlike a bare '! grep'

# ---- a device named that cannot run: an error saying what to do ---------------------
mkdir -p "$TMPDIR/fake/bin"
cp "$fleet" "$BUILD/bin/xnn-agent" "$TMPDIR/fake/bin/"   # no aarch64 agent beside it
set +e
msg=$("$TMPDIR/fake/bin/xnn-fleet" sweep --devices host,qemu-aarch64 --adb-server none \
	--dry-run 2>&1); rc=$?
set -e
echo "$msg"
[ "$rc" -eq 1 ]
grep -q "names 'qemu-aarch64', which cannot run here: no agent at .*(make agents)" <<<"$msg"
# all: what is there runs, the rest is a warning
out=$("$TMPDIR/fake/bin/xnn-fleet" sweep --devices all --adb-server none --dry-run 2>&1)
grep -q '^device,host,' <<<"$out" && grep -q 'qemu-aarch64: no agent at .*make agents' <<<"$out" || exit 1

# ---- the boards -------------------------------------------------------------------------
start_adbd() {  # start_adbd NAME PERSONA (--no-auth: loopback boards; --allow-root: CI is root)
	rm -f "$TMPDIR/$1.port"
	"$adbd" --persona "$2" --listen 127.0.0.1:0 --port-file "$TMPDIR/$1.port" \
		--work "$TMPDIR/$1" --allow-root --no-auth 2>>"$TMPDIR/$1.log" &
	pids+=($!)
	for _ in $(seq 100); do [ -s "$TMPDIR/$1.port" ] && break; sleep 0.05; done
	adb -P "$P" connect "127.0.0.1:$(cat "$TMPDIR/$1.port")"
}
persona() {  # persona FILE MODEL SERIAL
	printf '[ro.product.model]: [%s]\n[ro.product.cpu.abi]: [x86_64]\n' "$2" > "$1"
	printf '[ro.serialno]: [%s]\n[ro.build.fingerprint]: [xnn/test/x:1/T/1:user/t]\n' \
		"$3" >> "$1"
}
esc=$'\033'
persona "$TMPDIR/p-twin" "Twin Board" 0123456789ABCDEF
persona "$TMPDIR/p-hang" "Hang Board" "HB${esc}[2J03"
adb -P "$P" start-server
start_adbd twin1 "$TMPDIR/p-twin"
start_adbd twin2 "$TMPDIR/p-twin"
start_adbd hang "$TMPDIR/p-hang"
for _ in $(seq 200); do
	[ "$(adb -P "$P" devices | grep -c $'\tdevice$')" -ge 3 ] && break
	sleep 0.1
done
adb -P "$P" devices -l

# what a board says of itself is text on the terminal
out=$("$fleet" devices --adb-server "127.0.0.1:$P" 2>&1)
echo "$out"
none "$esc" <<<"$out"
grep -Fq 'HB\x1b[2J03' <<<"$out"
grep -q '0123456789ABCDEF: 2 devices report this serial' <<<"$out"

# the stand-in agent: the real one, except on the board 'hang', whose bench
# stops after its first row and then says nothing
cat > "$TMPDIR/fake/bin/xnn-agent" <<EOS
#!/bin/sh
case "\$0/\$1" in
*/hang/*/bench)
	"$BUILD/bin/xnn-agent" "\$@" | awk '{ print } /^[^#]/ { n++ } n == 2 { exit }'
	echo \$\$ > "$TMPDIR/hang.pid"
	exec sleep 600 ;;
esac
exec "$BUILD/bin/xnn-agent" "\$@"
EOS
chmod +x "$TMPDIR/fake/bin/xnn-agent"
printf '%s\n' r20-d1.1.1.1-s1:e2k3-s2:e2k3-s3:e2k3-s4:e2k3 \
	r24-d1.1.1.1-s1:e4k7-s2:e4k7-s3:e4k7-s4:e4k7 > "$TMPDIR/list"
sweep() {
	local prog=$1
	shift
	"$prog" sweep --devices transport=~adb --adb-server "127.0.0.1:$P" --quick --eval-n 50 \
		--subnets "$TMPDIR/list" --db "$db" "$@"
}

# ---- one sweep: twins apart, the silent board hung, the others done --------------------
t0=$SECONDS
set +e; out=$(sweep "$TMPDIR/fake/bin/xnn-fleet" --hang-timeout 20 2>"$TMPDIR/err1"); rc=$?; set -e
cat "$TMPDIR/err1"; echo "$out"
echo "sweep with a hung board: $((SECONDS - t0)) s"
[ "$rc" -eq 1 ]
none "$esc" "$TMPDIR/err1"
none "$esc" <<<"$out"
[ "$(grep -Ec '^0123456789ABCDEF@127\.0\.0\.1:[0-9]+ +adb +done +196 +2 ' <<<"$out")" -eq 2 ]
grep -E '^HB\\x1b\[2J03 +adb +hung ' <<<"$out" | grep -q 'no output for 20 s'
grep -q '1 hung' <<<"$out"
grep -q '0123456789ABCDEF: 2 devices report this serial' "$TMPDIR/err1"
# the DB: two twin devices, each with its own rows; the hung board's first row kept
[ "$(q "select count(*) from devices where serial like '0123456789ABCDEF@%'")" -eq 2 ]
[ "$(q "select count(distinct device_id) from subnet_results r join devices d on
	d.id = r.device_id where d.serial like '0123456789ABCDEF@%'")" -eq 2 ]
[ "$(q "select count(*) from subnet_results r join devices d on d.id = r.device_id
	where d.serial like '0123456789ABCDEF@%'")" -eq 4 ]
hb="select count(*) from subnet_results r join devices d on d.id = r.device_id
	where d.serial like 'HB%03'"
[ "$(q "$hb")" -eq 1 ]
[ "$(q "select status from runs where sweep_id = (select max(id) from sweeps) and
	device_id = (select id from devices where serial like 'HB%03')")" = hung ]
kill "$(cat "$TMPDIR/hang.pid")" 2>/dev/null || true

# ---- --resume with the real agent: the hung board completes, nothing twice --------------
out=$(sweep "$fleet" --resume 2>&1)
echo "$out"
grep -E '^HB\\x1b\[2J03 +adb +done ' <<<"$out"
[ "$(q "$hb")" -eq 2 ]
[ "$(q "select count(*) from subnet_results")" -eq 6 ]
[ "$(q 'pragma integrity_check')" = ok ]
echo "t0012: twins kept apart, a silent board hung after 20 s and resumed"
