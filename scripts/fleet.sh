#!/usr/bin/env bash
# fleet.sh XNN-FLEET - the main job (make fleet): sweep the devices found into
# fleet.db, select tiers into fleet-manifest/, check the manifest, report into
# reports/out/; then the time of each phase. FLEET_ARGS go to the sweep,
# SELECT_ARGS to select (both split on spaces).
#
# A sweep that leaves some device incomplete still goes on to select (what
# was stored is kept; `xnn-fleet sweep --resume` finishes it later); any other
# failure stops here with its exit status.
set -uo pipefail
fleet=${1:?usage: scripts/fleet.sh path/to/xnn-fleet}
names=() secs=()
t_all=$SECONDS

phase() {  # phase NAME CMD...: runs it, records its time, stops on failure
	local name=$1 t0=$SECONDS rc
	shift
	echo "== make fleet: $name"
	"$@"
	rc=$?
	names+=("$name")
	secs+=($((SECONDS - t0)))
	return $rc
}

times() {
	echo
	echo "make fleet: phases"
	for i in "${!names[@]}"; do
		printf '  %-10s %4d s\n' "${names[$i]}" "${secs[$i]}"
	done
	printf '  %-10s %4d s\n' total $((SECONDS - t_all))
}

# --resume: a second run measures only what fleet.db lacks (a new device, a
# new agent version, what a cut sweep left); the DB keeps one row per device,
# sub-net, precision, threads, cores and agent version, so measuring a stored
# one again would store nothing
# shellcheck disable=SC2086 # the ARGS are lists of words
phase sweep "$fleet" sweep --devices all --precision f32,int8 --db fleet.db --resume ${FLEET_ARGS:-}
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then times; exit $rc; fi
[ $rc -eq 1 ] && echo "make fleet: the sweep left some device incomplete (above); going on with what is stored"
# 40 sub-nets scored per search (select's default is 60): a first run within
# 8 minutes on 2 cores; SELECT_ARGS='--evals 60' (a later --evals wins) for more
# shellcheck disable=SC2086
phase select "$fleet" select --db fleet.db --tiers auto --evals 40 --out fleet-manifest \
	${SELECT_ARGS:-} ||
	{ rc=$?; times; exit $rc; }
phase check "$fleet" manifest check fleet-manifest || { rc=$?; times; exit $rc; }
phase report "$fleet" report --db fleet.db --out reports/out || { rc=$?; times; exit $rc; }
times
echo "make fleet: measurements in fleet.db, the manifest and models in fleet-manifest/, the report in reports/out/index.html"
