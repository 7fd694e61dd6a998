#!/usr/bin/env bash
# t0013-model-files.sh - a file that is not a regular file where a model or
# the manifest should be: a FIFO, a directory, /dev/zero. `xnn-fleet
# manifest check` and the runtime (examples/classify) each give one error
# naming it and exit 1 at once; each run is under timeout, so a reader that
# blocks on the FIFO (or reads /dev/zero for ever) fails the test instead of
# hanging it.
set -euo pipefail
fleet="$BUILD/bin/xnn-fleet"
classify="$BUILD/bin/classify"
d="$TMPDIR/out"
mkdir -p "$d"
"$fleet" supernet extract --arch smallest --out "$d/t1.xnm" >/dev/null
cp "$BUILD/data/t10k-images-idx3-ubyte" "$d/"
arch=$("$fleet" supernet eval --model "$d/t1.xnm" -n 1 | sed -n 's/^arch *//p')
size=$(stat -c %s "$d/t1.xnm")
sum=$(sha256sum "$d/t1.xnm" | cut -d' ' -f1)
cat > "$d/manifest.json" <<JSON
{"format": "xnn-fleet-manifest", "version": 1,
 "supernet": {"name": "fmnist-ofa", "sha256": "$(sha256sum models/fmnist-ofa.xsn | cut -d' ' -f1)"},
 "budget": {"latency_ms": 8, "percentile": 90, "memory_bytes": 4194304, "size_bytes": 1048576},
 "tiers": [{"name": "t1", "arch": "$arch", "precision": "f32", "file": "t1.xnm", "size": $size,
   "sha256": "$sum", "expected": {"latency_ms": 1, "memory_bytes": 1, "source": "measured"}}]}
JSON

# runs CMD... under a 20 s timeout: exit status 1 and WANT in what it says
refused() {  # refused WANT CMD...
	local want=$1 msg rc
	shift
	set +e
	msg=$(timeout 20 "$@" 2>&1)
	rc=$?
	set -e
	echo "$msg"
	if [ "$rc" -ne 1 ] || ! grep -qF -- "$want" <<<"$msg"; then
		echo "FAIL: '$*' exited $rc (124: timed out), want 1 and '$want'"
		exit 1
	fi
}

# the real files first: both read them
timeout 20 "$fleet" manifest check "$d" | grep -q '^t1 .* ok '
timeout 20 "$classify" "$d/manifest.json" "$d" 0 | grep -q '^class  9 '

mv "$d/t1.xnm" "$d/t1.real"
mkfifo "$d/t1.xnm"
refused "t1       t1.xnm               BAD: '$d/t1.xnm' is a FIFO, not a regular file" \
	"$fleet" manifest check "$d"
refused "tier 't1': '$d/t1.xnm' is a FIFO, not a regular file" "$classify" "$d/manifest.json" "$d" 0
rm "$d/t1.xnm"
mkdir "$d/t1.xnm"
refused "'$d/t1.xnm' is a directory, not a regular file" "$fleet" manifest check "$d"
refused "'$d/t1.xnm' is a directory, not a regular file" "$classify" "$d/manifest.json" "$d" 0
rmdir "$d/t1.xnm"
ln -s /dev/zero "$d/t1.xnm"
refused "'$d/t1.xnm' is a character device, not a regular file" "$fleet" manifest check "$d"
refused "'$d/t1.xnm' is a character device, not a regular file" \
	"$classify" "$d/manifest.json" "$d" 0
# larger than the manifest says: refused without reading it whole
rm "$d/t1.xnm"
head -c $((size + 4096)) /dev/zero > "$d/t1.xnm"
refused "'$d/t1.xnm' has $((size + 4096)) bytes, more than $size" "$fleet" manifest check "$d"
refused "'$d/t1.xnm' has $((size + 4096)) bytes, more than $size" \
	"$classify" "$d/manifest.json" "$d" 0
mv "$d/t1.real" "$d/t1.xnm"

# the manifest itself a FIFO
mv "$d/manifest.json" "$d/manifest.real"
mkfifo "$d/manifest.json"
refused "'$d/manifest.json' is a FIFO, not a regular file" "$fleet" manifest check "$d"
refused "'$d/manifest.json' is a FIFO, not a regular file" "$classify" "$d/manifest.json" "$d" 0
rm "$d/manifest.json"
mv "$d/manifest.real" "$d/manifest.json"
timeout 20 "$fleet" manifest check "$d" | grep -q '^t1 .* ok '

# the other files read whole: images, a supernet, a sub-model
mkfifo "$TMPDIR/fifo"
refused "'$TMPDIR/fifo' is a FIFO, not a regular file" "$classify" "$d/manifest.json" "$d" 0 \
	"$TMPDIR/fifo"
refused "'$TMPDIR/fifo' is a FIFO, not a regular file" "$fleet" supernet info --supernet \
	"$TMPDIR/fifo"
refused "'$TMPDIR' is a directory, not a regular file" "$fleet" supernet info --supernet "$TMPDIR"
refused "'$TMPDIR/fifo' is a FIFO, not a regular file" "$fleet" supernet eval --model \
	"$TMPDIR/fifo" -n 1
echo "ok: FIFO, directory, /dev/zero and an oversized file refused by manifest check and classify; FIFOs and directories by the image, supernet and model readers"
