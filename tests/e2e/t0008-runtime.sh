#!/usr/bin/env bash
# t0008-runtime.sh - libxnnrt as an app uses it (examples/classify): a
# manifest with two tiers, each listing a device as the fleet saw it (this
# host, x86_64; the emulated arm64 device under qemu-aarch64); each picks
# its own tier and says why, classifies a test image as the executor does; a
# tampered model is refused for the next tier; a manifest of another version
# is one clear error. (xnn-fleet select writes such manifests; this one is
# written here by hand from real sub-model files.)
set -euo pipefail
fleet="$BUILD/bin/xnn-fleet"
d="$TMPDIR/models"
mkdir -p "$d"
"$fleet" supernet extract --arch "r24-d1.1.1.1-s1:e4k7-s2:e4k7-s3:e4k7-s4:e4k7" --out "$d/t1.xnm" >/dev/null
"$fleet" supernet extract --arch smallest --out "$d/t2.xnm" >/dev/null
cp "$BUILD/data/t10k-images-idx3-ubyte" "$d/"
arch_t1=$("$fleet" supernet eval --model "$d/t1.xnm" -n 1 | sed -n 's/^arch *//p')
arch_t2=$("$fleet" supernet eval --model "$d/t2.xnm" -n 1 | sed -n 's/^arch *//p')
# the device as the runtime (and the agent's probe) sees it: model, else
# "" here (no DMI in this VM); fingerprint, else the ABI
model=$("$BUILD/bin/xnn-agent" probe | sed -n 's/^device\.model,//p')
[ "$model" = unknown ] && model=""
esc() { sed 's/\\/\\\\/g; s/"/\\"/g' <<<"$1"; }
tier() {  # tier NAME FILE ARCH ABI
	printf '{"name": "%s", "arch": "%s", "precision": "f32", "file": "%s", "size": %s, ' \
		"$1" "$3" "$2" "$(stat -c %s "$d/$2")"
	printf '"sha256": "%s", "expected": {"latency_ms": 1, "memory_bytes": 1, "source": "measured"}, ' \
		"$(sha256sum "$d/$2" | cut -d' ' -f1)"
	printf '"devices": [{"model": "%s", "fingerprint": "%s"}]}' "$(esc "$model")" "$4"
}
manifest() {  # manifest VERSION > FILE
	printf '{"format": "xnn-fleet-manifest", "version": %s,\n' "$1"
	printf ' "supernet": {"name": "fmnist-ofa", "sha256": "%s"},\n' \
		"$(sha256sum models/fmnist-ofa.xsn | cut -d' ' -f1)"
	printf ' "budget": {"latency_ms": 8, "percentile": 90, "memory_bytes": 4194304, "size_bytes": 1048576},\n'
	printf ' "tiers": [%s,\n  %s]}\n' "$(tier t1 t1.xnm "$arch_t1" x86_64)" \
		"$(tier t2 t2.xnm "$arch_t2" arm64-v8a)"
}
manifest 1 > "$d/manifest.json"
cat "$d/manifest.json"

out=$("$BUILD/bin/classify" "$d/manifest.json" "$d" 0)
echo "$out"
grep -q '^tier   t1$' <<<"$out"
grep -q '^why    listed: ' <<<"$out"
grep -q '^class  9 Ankle boot' <<<"$out"   # test image 0 is an ankle boot
out=$(qemu-aarch64 "$BUILD/aarch64/bin/classify" "$d/manifest.json" "$d" 0)
echo "$out"
grep -q '^tier   t2$' <<<"$out"
grep -q '(arm64-v8a) was measured in this tier' <<<"$out"
grep -q '^class  9 ' <<<"$out"

# one flipped byte in t1: refused, t2 instead, and the reason says so
printf '\xff' | dd of="$d/t1.xnm" bs=1 seek=300 conv=notrunc status=none
out=$("$BUILD/bin/classify" "$d/manifest.json" "$d" 0)
echo "$out"
grep -q '^tier   t2$' <<<"$out"
grep -q "tier 't1' refused" <<<"$out"

# another format version; a missing models folder: one message, exit 1
manifest 2 > "$d/v2.json"
set +e
msg=$("$BUILD/bin/classify" "$d/v2.json" "$d" 0 2>&1); rc=$?
set -e
echo "$msg"
[ "$rc" -eq 1 ] && grep -q 'format version 2: this runtime reads version 1' <<<"$msg" || exit 1
set +e
msg=$("$BUILD/bin/classify" "$d/manifest.json" "$TMPDIR/none" 0 2>&1); rc=$?
set -e
echo "$msg"
[ "$rc" -eq 1 ] && grep -q "cannot read '$TMPDIR/none/t" <<<"$msg" || exit 1
