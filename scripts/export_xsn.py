#!/usr/bin/python3
"""export_xsn.py - writes a trained supernet as an .xsn file, plus golden data.

    /usr/bin/python3 scripts/export_xsn.py models/fmnist-ofa.pt \\
        --out models/fmnist-ofa.xsn --golden models/fmnist-ofa.golden.json

The .xsn file, version 1 (all integers little-endian):

  offset  size  field
  0       8     magic "XFSUPNET"
  8       4     u32 format version (1)
  12      4     u32 header size (64)
  16      8     u64 file size, trailer included
  24      8     u64 space offset (64)
  32      8     u64 space size in bytes
  40      8     u64 tensor table offset (a multiple of 64)
  48      4     u32 tensor count
  52      12    zero
  64      -     the space: ASCII text, one "key=value" per line, "\\n" after
                each (below); no JSON needed to read it on a device
  table   96*n  per tensor: name (64 bytes, NUL-padded, at least one NUL),
                u32 dtype (1 = f32), u32 ndim (1 to 4), u32 dims[4] (unused
                ones 0), u64 offset of the data (a multiple of 64)
  data    -     each tensor's f32 values, row-major, at its offset
  end-32  32    SHA-256 of every byte before it

Space keys: name, input (CxHxW), mean, std, resolutions, stem (out,kernel,
stride,act), stages (count), stageN (out,stride,act; N from 1), depths, expands,
kernels, head (out,act), classes, bn_eps, kernel_transform (1: learned T5/T3),
recal_images, val_images. Lists are comma-separated.

Tensors are the PyTorch state dict (BN's num_batches_tracked left out):
stem.weight [16,1,3,3], stem_bn.{weight,bias,running_mean,running_var},
stages.S.B.{pw1 [in*4,in,1,1], bn1.*, dw [in*4,1,7,7], t5 [25,25], t3 [9,9],
bn2.*, pw2 [out,in*4,1,1], bn3.*}, head.weight, head_bn.*, fc.weight [10,192],
fc.bias. See scripts/train_supernet.py for what they mean.

Arch strings, one per sub-net, canonical (print(parse(s)) == s):
    r28-d3.2.1.3-s1:e4k7,e3k5,e4k3-s2:e2k3,e4k5-s3:e3k7-s4:e2k3,e3k3,e4k7
resolution, depth per stage, then per stage its running blocks (expand e,
kernel k); blocks past a stage's depth are not written.

Golden data (JSON): for the largest, the smallest and random sub-nets (fixed
seed): the arch, MACs and parameters (BN folded: conv weights + biases), top-1
on the validation split and on the 10,000 test images after BN recalibration,
and the logits of the first 16 test images.
"""
import argparse
import hashlib
import json
import os
import random
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_supernet as ts  # noqa: E402

MAGIC = b"XFSUPNET"
VERSION = 1


def space_text(space):
    s = space
    lines = [
        f"name={s['name']}",
        "input={}x{}x{}".format(s["input"]["channels"], s["input"]["size"],
                                s["input"]["size"]),
        f"mean={s['input']['mean']!r}",
        f"std={s['input']['std']!r}",
        "resolutions=" + ",".join(map(str, s["resolutions"])),
        "stem={},{},{},{}".format(s["stem"]["out"], s["stem"]["kernel"],
                                  s["stem"]["stride"], s["stem"]["act"]),
        f"stages={len(s['stages'])}",
    ]
    for i, st in enumerate(s["stages"]):
        lines.append(f"stage{i + 1}={st['out']},{st['stride']},{st['act']}")
    lines += [
        "depths=" + ",".join(map(str, s["depths"])),
        "expands=" + ",".join(map(str, s["expands"])),
        "kernels=" + ",".join(map(str, s["kernels"])),
        "head={},{}".format(s["head"]["out"], s["head"]["act"]),
        f"classes={s['classes']}",
        f"bn_eps={s['bn_eps']!r}",
        f"kernel_transform={int(space.get('kernel_transform', True))}",
        f"recal_images={s['recal_images']}",
        f"val_images={s['val_images']}",
    ]
    text = "".join(line + "\n" for line in lines)
    assert text.isascii()
    return text.encode()


def align(n, a=64):
    return (n + a - 1) // a * a


def write_xsn(state, space, path):
    tensors = [(k, v.detach().float().contiguous()) for k, v in state.items()
               if not k.endswith("num_batches_tracked")]
    space_b = space_text(space)
    table_off = align(64 + len(space_b))
    off = align(table_off + 96 * len(tensors))
    table, blobs = b"", []
    for name, t in tensors:
        nb = name.encode()
        assert len(nb) < 64 and 1 <= t.ndim <= 4, name
        dims = list(t.shape) + [0] * (4 - t.ndim)
        table += nb.ljust(64, b"\0") + struct.pack("<II4IQ", 1, t.ndim, *dims, off)
        blobs.append((off, t.numpy().astype("<f4").tobytes()))
        off = align(off + t.numel() * 4)
    size = off + 32
    head = MAGIC + struct.pack("<IIQQQQI", VERSION, 64, size, 64, len(space_b),
                               table_off, len(tensors))
    buf = bytearray(size - 32)
    buf[:len(head)] = head
    buf[64:64 + len(space_b)] = space_b
    buf[table_off:table_off + len(table)] = table
    for o, b in blobs:
        buf[o:o + len(b)] = b
    digest = hashlib.sha256(buf).digest()
    with open(path + ".tmp", "wb") as f:
        f.write(buf)
        f.write(digest)
    os.replace(path + ".tmp", path)
    return hashlib.sha256(bytes(buf) + digest).hexdigest()


def macs_params(arch, space):
    """MACs of one image and parameters with BN folded (weights + biases)."""
    r = arch["r"]
    c = space["stem"]["out"]
    macs = r * r * c * 9 * space["input"]["channels"]
    params = c * 9 * space["input"]["channels"] + c
    h = r
    for si, st in enumerate(space["stages"]):
        for b in range(arch["d"][si]):
            s = st["stride"] if b == 0 else 1
            e, k = arch["e"][si][b], arch["k"][si][b]
            mid, out = c * e, st["out"]
            ho = (h + s - 1) // s
            macs += h * h * c * mid + ho * ho * mid * k * k + ho * ho * mid * out
            params += c * mid + mid + mid * k * k + mid + mid * out + out
            c, h = out, ho
    hd = space["head"]["out"]
    macs += h * h * c * hd + hd * space["classes"]
    params += c * hd + hd + hd * space["classes"] + space["classes"]
    return macs, params


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__[__doc__.index("\n") + 1:])
    ap.add_argument("checkpoint", help="from scripts/train_supernet.py")
    ap.add_argument("--out", default="models/fmnist-ofa.xsn")
    ap.add_argument("--golden", default="models/fmnist-ofa.golden.json")
    ap.add_argument("--random", type=int, default=8,
                    help="random sub-nets in the golden data (default %(default)s)")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()

    torch.set_num_threads(os.cpu_count())
    ck = torch.load(args.checkpoint)
    space = ck["space"]
    model = ts.Supernet().to(memory_format=torch.channels_last)
    model.load_state_dict(ck["state_dict"])
    model.eval()
    sha = write_xsn(model.state_dict(), space, args.out)
    print(f"wrote {args.out}: sha256 {sha}", flush=True)

    x_all, y_all = ts.load_split("train")
    x_test, y_test = ts.load_split("t10k")
    x_val, y_val = x_all[-ts.VAL_IMAGES:], y_all[-ts.VAL_IMAGES:]
    x_recal = x_all[:ts.RECAL_IMAGES].contiguous(memory_format=torch.channels_last)
    rng = random.Random(args.seed)
    archs = [ts.arch_largest(), ts.arch_smallest()]
    archs += [ts.arch_random(rng) for _ in range(args.random)]
    subnets = []
    for a in archs:
        val = ts.evaluate(model, x_val, y_val, a, x_recal)
        test = ts.evaluate(model, x_test, y_test, a, x_recal)
        bns, saved = ts.recalibrate(model, x_recal, a)
        with torch.no_grad():
            logits = model(x_test[:16].contiguous(memory_format=torch.channels_last), a)
        ts.restore_bn(bns, saved)
        macs, params = macs_params(a, space)
        subnets.append({"arch": ts.arch_str(a), "macs": macs, "params": params,
                        "val_top1": val, "test_top1": test,
                        "logits16": [[float(v) for v in row] for row in logits]})
        print(f"{ts.arch_str(a)}: test {test:.2f} val {val:.2f} "
              f"({macs / 1e6:.2f}M MACs, {params} params)", flush=True)
    golden = {"supernet": space["name"], "xsn_sha256": sha,
              "checkpoint_epochs": ck["epoch"],
              "recalibration": f"first {ts.RECAL_IMAGES} training images, one batch",
              "val": f"last {ts.VAL_IMAGES} of the 60000 training images",
              "test": "t10k, 10000 images", "subnets": subnets}
    with open(args.golden, "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    print(f"wrote {args.golden}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
