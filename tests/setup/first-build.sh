#!/usr/bin/env bash
# first-build.sh - a first build on a machine where the packages are not
# installed yet, as far as make can tell: make must not need them while it
# reads the Makefile, only after scripts/install-deps.sh has run.
#
# The packages stay installed here (the machine is shared); what make sees is
# faked with its own knobs, and the fakes are real programs:
#   PKG_CONFIG_PROG  a pkg-config that knows no package (as on a machine
#                    without the -dev packages) until the fake install ran
#   INSTALL_DEPS     the fake install: records that it ran, then makes the
#                    packages "appear" (the pkg-config above answers, and the
#                    compiler named by CC exists)
# Case 1: the compiler is there, the -dev packages are not: the objects that
# need libusb's and OpenBLAS's flags (headers in their own folders) build.
# Case 2: not even the compiler: make installs first, then builds.
# Case 3: `make clean` on a machine without a compiler works.
set -euo pipefail
cd "$(dirname "$0")/../.."
# its own makes: not the knobs of a make that runs this (NODEPS=1, O=, ...)
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES NODEPS O CROSS CC SANITIZE
t=$(mktemp -d "${TMPDIR:-/tmp}/xnn-first-build.XXXXXX")
trap '[ "${KEEP:-}" ] || rm -rf "$t"' EXIT
mkdir -p "$t/bin"
cat > "$t/pkg-config" <<EOS
#!/bin/sh
[ -e "$t/installed" ] || exit 1   # no .pc file yet
exec pkg-config "\$@"
EOS
cat > "$t/install" <<EOS
#!/bin/sh
echo "fake install-deps: ran" >&2
touch "$t/installed"
ln -sf "\$(command -v gcc)" "$t/bin/gcc"
EOS
chmod +x "$t/pkg-config" "$t/install"
objs=(harness/transport/usb.o harness/transport/devices.o bench/kernels.o)

echo "== first build, the -dev packages not installed at parse time"
make --no-print-directory O="$t/b1" INSTALL_DEPS="$t/install" PKG_CONFIG_PROG="$t/pkg-config" \
	"${objs[@]/#/$t/b1/}" > "$t/log1" 2>&1 || { cat "$t/log1"; exit 1; }
grep -q 'fake install-deps: ran' "$t/log1"
"$t/pkg-config" --exists libusb-1.0   # the fake install ran, and pkg-config answers now

echo "== first build, not even the compiler installed"
rm -f "$t/installed" "$t/bin/gcc"
make --no-print-directory O="$t/b2" CC="$t/bin/gcc" INSTALL_DEPS="$t/install" \
	PKG_CONFIG_PROG="$t/pkg-config" "${objs[@]/#/$t/b2/}" > "$t/log2" 2>&1 ||
	{ cat "$t/log2"; exit 1; }
grep -q "cannot run '$t/bin/gcc' yet" "$t/log2"

echo "== make clean without a compiler"
make --no-print-directory O="$t/b3" CC="$t/bin/none-gcc" clean > "$t/log3" 2>&1 ||
	{ cat "$t/log3"; exit 1; }
echo "== a first build needs no package while make reads the Makefile"
