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

# Each package with why it is needed (printed when it gets installed).
PKGS=()
declare -A WHY
need() {
	local why=$1 p
	shift
	for p in "$@"; do
		PKGS+=("$p")
		WHY[$p]=$why
	done
}
need "the build and the unit tests" gcc make pkg-config libc6-dev libcmocka-dev
need "the fuzz targets (clang's libFuzzer)" clang libclang-rt-14-dev
need "the static ARM agents" gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
	gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
need "running the ARM agents here (the emulated devices)" qemu-user
need "the ARM unit tests (cmocka from Debian multiarch)" libcmocka-dev:arm64 libcmocka-dev:armhf
need "bench/: the reference libraries measured side by side" libxnnpack-dev \
	libpthreadpool-dev libdnnl-dev libopenblas-dev
need "the harness: agent output, the device DB, device expressions" libcsv-dev \
	libsqlite3-dev libpcre2-dev
need "phones and boards: Debian's adb server" adb
need "phones on USB: listing them" libusb-1.0-0-dev
need "the e2e tests: looking into the device DB" sqlite3
need "the e2e tests: looking into manifests" jq
need "the report's charts (gnuplot, run as a program)" gnuplot-nox
need "the e2e test that loads the report pages (headless)" chromium
need "the runtime's manifest reader (header only)" libjsmn-dev
need "the data set: BN recalibration and top-1" dataset-fashion-mnist gzip

NATIVE=$(dpkg --print-architecture)

# Prints the packages that are not installed. A name without ":arch" means the
# native architecture (or "all"): multiarch copies of it do not count.
# scripts/train_supernet.py and export_xsn.py, and the PyTorch column of
# bench/models: Debian's /usr/bin/python3.
TRAIN_PKGS=(python3 python3-torch python3-numpy)
for p in "${TRAIN_PKGS[@]}"; do WHY[$p]="supernet training and export, the PyTorch column"; done

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
	for p in $m; do echo "install-deps: missing $p: ${WHY[$p]:-needed}"; done
	exit 1 ;;
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

for p in $m; do
	echo "install-deps: installing $p: ${WHY[$p]:-needed}"
done
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
