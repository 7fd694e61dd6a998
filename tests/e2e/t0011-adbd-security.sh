#!/usr/bin/env bash
# t0011-adbd-security.sh - xnn-adbd run as root, attacked by another local
# user (nobody, through setpriv, with Debian's adb and an adb server of its
# own) as on a host where the daemon runs as root: sync reaches only the
# work folder (no /etc/shadow, no ../, no absolute path outside, no planted
# symlink followed), a work folder another user made is never used, a host
# is let in only with --no-auth, root is refused without --allow-root, and
# a stream whose thread cannot start is refused (CLSE), not left hanging (a
# shell whose fork fails exits 127, saying why). Every root-owned file it
# aims at stays as it was.
set -euo pipefail
command -v adb >/dev/null || { echo "adb is not installed: scripts/install-deps.sh"; exit 1; }
if ! command -v setpriv >/dev/null || ! command -v prlimit >/dev/null ||
	! id nobody >/dev/null 2>&1 || ! getent group nogroup >/dev/null; then
	echo "skipped: needs setpriv and prlimit (util-linux) and the user nobody (group nogroup)"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: the daemon under attack runs as root (run the tests as root, as CI does)"
	exit 0
fi
adbd="$BUILD/bin/xnn-adbd"
P=${ANDROID_ADB_SERVER_PORT:?run through tests/run-e2e.sh (private adb port)}
PA=$((P + 3))  # the attacker's adb server
export ADB_SERVER_SOCKET=
# nobody cannot enter the test's own TMPDIR (mode 0700): a shared folder
# like /tmp (root's, mode 1777) holds what both sides see
shared=$(mktemp -d /tmp/xnn-t0011.XXXXXX)
chmod 1777 "$shared"
pids=()
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env HOME="$shared/nobody/home" TMPDIR="$shared/nobody/tmp" "$@"
}
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	as_nobody adb -P "$PA" kill-server >/dev/null 2>&1 || true
	adb -P "$P" kill-server >/dev/null 2>&1 || true
	rm -rf "$shared"
}
trap cleanup EXIT

mkdir -p "$shared/secret/rootdir" "$shared/run/cwd" "$shared/nobody/home" \
	"$shared/nobody/tmp" "$shared/nobody/got" "$shared/tmp"
chmod 1777 "$shared/tmp"
chown -R nobody:nogroup "$shared/nobody"
printf 'root only\n' > "$shared/secret/victim"
chmod 600 "$shared/secret/victim"
printf 'root-owned\n' > "$shared/secret/public"
sum_before=$(sha256sum "$shared/secret/victim" "$shared/secret/public" /etc/passwd)
persona="$shared/run/persona"
printf '[ro.product.model]: [Root Board]\n[ro.product.cpu.abi]: [x86_64]\n' > "$persona"
printf '[ro.serialno]: [RB0001]\n' >> "$persona"
chmod 644 "$persona"
printf 'evil\n' > "$shared/nobody/evil.txt"
chown nobody:nogroup "$shared/nobody/evil.txt"

# Starts xnn-adbd NAME [options] as root, from its own folder (a relative
# path lands there): its port in $shared/run/NAME.port, its log beside it.
start_adbd() {
	local name=$1
	shift
	(cd "$shared/run/cwd" && exec "$adbd" --persona "$persona" \
		--port-file "$shared/run/$name.port" "$@" 2>>"$shared/run/$name.log") &
	pids+=($!)
	for _ in $(seq 100); do [ -s "$shared/run/$name.port" ] && break; sleep 0.05; done
	[ -s "$shared/run/$name.port" ] || { cat "$shared/run/$name.log"; return 1; }
}
port_of() { cat "$shared/run/$1.port"; }
# Waits until adb server $1 lists serial $2 in state $3.
wait_state() {
	local server=$1 serial=$2 state=$3 run=()
	[ "$server" = "$PA" ] && run=(as_nobody)
	for _ in $(seq 100); do
		"${run[@]}" adb -P "$server" devices | grep -q "^$serial"$'\t'"$state\$" && return 0
		sleep 0.1
	done
	"${run[@]}" adb -P "$server" devices -l
	return 1
}
refused() { ! "$@" >/dev/null 2>&1; }  # the command fails
as_nobody adb -P "$PA" start-server
adb -P "$P" start-server

# ---- root without --allow-root: refused, saying why ----------------------------------
set +e; msg=$(timeout 10 "$adbd" --persona "$persona" --listen 127.0.0.1:0 --no-auth 2>&1); rc=$?; set -e
echo "$msg"
[ "$rc" -eq 1 ]
grep -q 'refusing to run as root' <<<"$msg"
grep -q -- '--allow-root' <<<"$msg"

# ---- sync under a root daemon with --no-auth -----------------------------------------
work="$shared/run/work"
start_adbd open --listen 127.0.0.1:0 --work "$work" --no-auth --allow-root
S="127.0.0.1:$(port_of open)"
[ "$(stat -c '%U %a' "$work")" = "root 700" ]
as_nobody adb -P "$PA" connect "$S"
wait_state "$PA" "$S" device
A() { as_nobody adb -P "$PA" -s "$S" "$@"; }
# what --no-auth means: the attacker's commands run (as root)
[ "$(A shell id -u | tr -d '\r')" = 0 ]
# inside the work folder: push, stat, pull work
A push "$shared/nobody/evil.txt" "$work/data/in.txt"
[ "$(cat "$work/data/in.txt")" = evil ]
[ "$(stat -c %U "$work/data/in.txt")" = root ]
A pull "$work/data/in.txt" "$shared/nobody/got/in.txt"
[ "$(cat "$shared/nobody/got/in.txt")" = evil ]
# /etc/shadow and a root file outside it: refused, nothing copied
refused A pull /etc/shadow "$shared/nobody/got/shadow"
refused A pull "$shared/secret/victim" "$shared/nobody/got/victim"
refused A pull "$work/../secret/victim" "$shared/nobody/got/victim2"
[ ! -e "$shared/nobody/got/shadow" ]
[ ! -e "$shared/nobody/got/victim" ]
[ ! -e "$shared/nobody/got/victim2" ]
# pushes to ../, relative or absolute, and onto a root file: refused
refused A push "$shared/nobody/evil.txt" "$work/../escaped"
refused A push "$shared/nobody/evil.txt" "$work/data/../../escaped2"
refused A push "$shared/nobody/evil.txt" ../escaped3
refused A push "$shared/nobody/evil.txt" "$shared/secret/victim"
[ ! -e "$shared/run/escaped" ]
[ ! -e "$shared/run/escaped2" ]
[ ! -e "$shared/run/escaped3" ]
[ ! -e "$shared/escaped" ]
[ ! -e "$shared/escaped3" ]
grep -q "sync: refused: '/etc/shadow' is outside the work folder" "$shared/run/open.log"
grep -q "holds '..'" "$shared/run/open.log"
# symlinks planted in the work folder (by anything that ran there): never followed
ln -s "$shared/secret/victim" "$work/data/link"
ln -s "$shared/secret/rootdir" "$work/data/dirlink"
refused A pull "$work/data/link" "$shared/nobody/got/link"
refused A pull "$work/data/dirlink/../victim" "$shared/nobody/got/link2"
refused A push "$shared/nobody/evil.txt" "$work/data/dirlink/new"
[ ! -e "$shared/nobody/got/link" ]
[ ! -e "$shared/nobody/got/link2" ]
[ ! -e "$shared/secret/rootdir/new" ]
# a push onto the link replaces the link, not the file it names
A push "$shared/nobody/evil.txt" "$work/data/link"
[ ! -L "$work/data/link" ]
[ "$(cat "$work/data/link")" = evil ]

# ---- without --no-auth: asked for auth, no stream opened ----------------------------------
start_adbd closed --listen 127.0.0.1:0 --work "$shared/run/work2" --allow-root
C="127.0.0.1:$(port_of closed)"
as_nobody adb -P "$PA" connect "$C" || true
wait_state "$PA" "$C" unauthorized
refused as_nobody adb -P "$PA" -s "$C" shell touch "$shared/pwned"
refused as_nobody adb -P "$PA" -s "$C" pull /etc/shadow "$shared/nobody/got/shadow"
[ ! -e "$shared/pwned" ]
[ ! -e "$shared/nobody/got/shadow" ]
grep -q 'none is accepted' "$shared/run/closed.log"

# ---- a work folder made by another user: never used -------------------------------------
# nobody makes the default one ($TMPDIR/xnn-adbd-PORT) first, with a mkdir
# of theirs in bin/ and a persona that is a link to a root file
DP=$((P + 5))
pre="$shared/tmp/xnn-adbd-$DP"
as_nobody mkdir -p "$pre/bin"
as_nobody sh -c "printf '#!/bin/sh\ntouch $shared/tmp/ran-as-root\n' > '$pre/bin/mkdir'"
as_nobody chmod 755 "$pre/bin/mkdir"
as_nobody ln -s "$shared/secret/public" "$pre/persona"
TMPDIR="$shared/tmp" start_adbd dflt --listen "127.0.0.1:$DP" --no-auth --allow-root
adb -P "$P" connect "127.0.0.1:$DP"
wait_state "$P" "127.0.0.1:$DP" device
wd=$(adb -P "$P" -s "127.0.0.1:$DP" shell getprop xnn.fleet.workdir | tr -d '\r')
echo "default work folder: $wd"
adb -P "$P" -s "127.0.0.1:$DP" shell mkdir -p "$wd"
case $wd in "$pre"/*) echo "the planted folder is used"; exit 1 ;; esac
[ "$(stat -c '%U %a' "$(dirname "$wd")")" = "root 700" ]
[ ! -e "$shared/tmp/ran-as-root" ]
[ -L "$pre/persona" ]
# and given as --work: refused, saying why
set +e
msg=$(timeout 10 "$adbd" --persona "$persona" --listen 127.0.0.1:0 --work "$pre" --no-auth --allow-root 2>&1)
rc=$?
set -e
echo "$msg"
[ "$rc" -eq 1 ]
grep -q "refusing the work folder '$pre': it is uid 65534's" <<<"$msg"
# a work folder under one that another user may change: refused
as_nobody mkdir "$shared/nobody/open"
set +e
msg=$(timeout 10 "$adbd" --persona "$persona" --listen 127.0.0.1:0 --work "$shared/nobody/open/w" \
	--no-auth --allow-root 2>&1); rc=$?
set -e
echo "$msg"
[ "$rc" -eq 1 ]
grep -q "another user may change '$shared/nobody/open'" <<<"$msg"
[ ! -e "$shared/nobody/open/w" ] || [ "$(stat -c %U "$shared/nobody/open/w")" = root ]

# ---- a stream whose thread cannot start: CLSE, logged, no hang ------------------------------
# (an unused uid under RLIMIT_NPROC, which counts that uid's threads and
# processes: the daemon's main and connection threads fit, then the stream's
# output thread does not (limit 2), or its service thread does not (3), or
# both do and the shell's command cannot be forked (4): exit 127, saying so)
uid=54321
mkdir -p "$shared/u"
cp "$persona" "$shared/u/persona"
chown -R "$uid" "$shared/u"
chmod 700 "$shared/u"
for n in 2 3 4; do
	rm -f "$shared/u/port"
	prlimit --nproc="$n" setpriv --reuid="$uid" --regid="$uid" --clear-groups \
		"$adbd" --persona "$shared/u/persona" --listen 127.0.0.1:0 --work "$shared/u/w$n" \
		--port-file "$shared/u/port" --no-auth 2>"$shared/run/nproc$n.log" &
	npid=$!
	pids+=($npid)
	for _ in $(seq 100); do [ -s "$shared/u/port" ] && break; sleep 0.05; done
	T="127.0.0.1:$(cat "$shared/u/port")"
	adb -P "$P" connect "$T"
	wait_state "$P" "$T" device
	set +e; out=$(timeout 20 adb -P "$P" -s "$T" shell echo hello 2>&1); rc=$?; set -e
	echo "$out"
	cat "$shared/run/nproc$n.log"
	case $n in
	2) grep -q "refusing 'shell.*cannot start its output thread" "$shared/run/nproc$n.log" ;;
	3) grep -q "refusing 'shell.*cannot start its service thread" "$shared/run/nproc$n.log" ;;
	4) [ "$rc" -eq 127 ]
	   grep -q 'xnn-adbd: cannot start the command: Resource temporarily unavailable' <<<"$out" ;;
	esac
	[ "$rc" -ne 0 ]
	[ "$rc" -ne 124 ]  # refused, not hung
	adb -P "$P" disconnect "$T" >/dev/null
	kill "$npid"  # its threads count too
	wait "$npid" || true
done

# every root-owned file aimed at is as it was
[ "$sum_before" = "$(sha256sum "$shared/secret/victim" "$shared/secret/public" /etc/passwd)" ]
[ "$(ls "$shared/secret/rootdir" | wc -l)" -eq 0 ]
echo "all refused"
