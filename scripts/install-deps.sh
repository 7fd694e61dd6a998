#!/usr/bin/env bash
# install-deps.sh - installs the Debian packages xnn-fleet needs to build, test
# and benchmark. Quick when everything is there (one dpkg-query). Runs apt as
# root, or through sudo. The Makefile runs it before every build.
#
#   scripts/install-deps.sh           install what is missing
#   scripts/install-deps.sh --train   also what supernet training needs (torch,
#                                     about 800 MB; builds and tests do not)
#   scripts/install-deps.sh --check   list what is missing, exit 1 if anything is
#   scripts/install-deps.sh --list    print the package list
set -euo pipefail

# Foreign architectures whose -dev packages the cross-built tests link.
ARCHS=(arm64 armhf)

PKGS=(
	# build and unit tests
	gcc make pkg-config libc6-dev libcmocka-dev
	# fuzz targets (libFuzzer comes with clang's runtime)
	clang libclang-rt-14-dev
	# ARM builds (static agents) and running them here
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
	qemu-user
	# the ARM unit tests link cmocka from Debian multiarch
	libcmocka-dev:arm64 libcmocka-dev:armhf
	# bench/: the reference libraries measured side by side
	libxnnpack-dev libpthreadpool-dev libdnnl-dev libopenblas-dev
	# the harness: reading agent output, the device DB, device expressions
	libcsv-dev libsqlite3-dev libpcre2-dev
	# devices: Debian's adb server (phones, boards, the xnn-adbd tests), USB listing
	adb libusb-1.0-0-dev
	# the e2e tests look into the device DB (integrity_check, counts)
	sqlite3
	# and into manifests (JSON)
	jq
	# reports: charts (gnuplot, run as a program); the e2e test loads the pages in
	# headless Chromium
	gnuplot-nox chromium
	# the runtime reads manifests with jsmn (header only) and writes them itself
	libjsmn-dev
	# the data set: BN recalibration, top-1 (eval, the model tests); gzip'd IDX
	dataset-fashion-mnist gzip
)

NATIVE=$(dpkg --print-architecture)

# Prints the packages that are not installed. A name without ":arch" means the
# native architecture (or "all"): multiarch copies of it do not count.
# scripts/train_supernet.py and export_xsn.py, and the PyTorch column of
# bench/models: Debian's /usr/bin/python3.
TRAIN_PKGS=(python3 python3-torch python3-numpy)

missing() {
	local p want
	for p in "${PKGS[@]}"; do
		case "$p" in
		*:*) want="^installed:${p#*:}\$" ;;
		*) want="^installed:($NATIVE|all)\$" ;;
		esac
		dpkg-query -W -f='${db:Status-Status}:${Architecture}\n' "$p" 2>/dev/null |
			grep -qE "$want" || printf '%s\n' "$p"
	done
}

if [ "${1:-}" = --train ]; then
	PKGS+=("${TRAIN_PKGS[@]}")
	shift
fi

case "${1:-}" in
--list) printf '%s\n' "${PKGS[@]}"; exit 0 ;;
--check)
	m=$(missing)
	[ -z "$m" ] && { echo "install-deps: all ${#PKGS[@]} packages are installed"; exit 0; }
	echo "install-deps: missing: $(echo $m)"; exit 1 ;;
-h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
'') ;;
*) echo "install-deps: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

m=$(missing)
[ -z "$m" ] && exit 0

if [ "$(id -u)" = 0 ]; then
	SUDO=()
elif command -v sudo >/dev/null 2>&1; then
	SUDO=(sudo)
else
	echo "install-deps: missing packages: $(echo $m)" >&2
	echo "install-deps: run this script as root (or install sudo) to install them" >&2
	exit 1
fi

echo "install-deps: installing: $(echo $m)"
for a in "${ARCHS[@]}"; do
	if ! dpkg --print-foreign-architectures | grep -qx "$a"; then
		"${SUDO[@]}" dpkg --add-architecture "$a"
	fi
done
# A mirror that is mid-sync can fail one index; the install below says whether
# what we need was found.
"${SUDO[@]}" apt-get update -q || echo "install-deps: apt-get update reported errors; trying the install anyway" >&2
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q --no-install-recommends $m
m=$(missing)
if [ -n "$m" ]; then
	echo "install-deps: still missing after apt-get: $(echo $m)" >&2
	exit 1
fi
