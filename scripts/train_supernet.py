#!/usr/bin/python3
"""train_supernet.py - trains the Fashion-MNIST weight-sharing supernet.

    /usr/bin/python3 scripts/train_supernet.py --out models/fmnist-ofa.pt

Once-for-All / MobileNetV3 style space (what the C side in supernet/ mirrors):

  input      28x28 grey, x = (pixel / 255 - MEAN) / STD, resized bilinearly
             (half-pixel centres, no antialiasing) to r in {20, 24, 28}
  stem       conv 3x3 s1, 1 -> 16, BN, h-swish
  stages     4 stages of inverted-residual blocks: widths 24, 40, 64, 96,
             strides 2, 2, 2, 1, activations relu, relu, hswish, hswish;
             depth {1, 2, 3} per stage (the first d blocks run); per block
             expand e in {2, 3, 4} and depthwise kernel k in {3, 5, 7}:
               pw 1x1 in -> in*e, BN, act; dw kxk stride s, BN, act;
               pw 1x1 in*e -> out, BN; + input when s == 1 and in == out
             The first block of a stage has the stage's stride.
  head       pw 1x1 96 -> 192, BN, h-swish; global average pool; fc 192 -> 10
  padding    "same": (k - 1) / 2 on each side

Elastic parts: the expanded channels are the first in*e of in*4; the depthwise
kernel is the 7x7 weight; 5x5 = T5 . centre5x5(7x7) and 3x3 = T3 . centre3x3(5x5)
per channel, with learned per-block matrices T5 (25x25) and T3 (9x9) that start
as the identity. BN parameters are sliced like the channels.

Training: the sandwich rule (largest, smallest, two random sub-nets per step),
in-place distillation from the largest (label smoothing 0.1 on the largest,
cross-entropy to its soft predictions for the others), SGD Nesterov 0.9, lr 0.1
cosine, weight decay 3e-5 (not on BN or biases), batch 128, random crop (pad 2)
and horizontal flip. Seeds are fixed; threads = the machine's cores.

Data split: the last VAL_IMAGES of the 60,000 training images are held out as
the validation split (never trained on); accuracy for selection is measured
there, the 10,000 test images are for reporting only.

BN recalibration (without it sub-nets lose 2 to 25 points): one forward pass in
training mode over the first RECAL_IMAGES training images, unaugmented, at the
sub-net's resolution; each BN's running mean and variance become that batch's
mean and unbiased variance (over N*H*W). The C code does the same.

The checkpoint holds the state dict, the space, the training log and the
options; --resume continues an interrupted run with the same result.
"""
import argparse
import gzip
import json
import math
import os
import random
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530
VAL_IMAGES = 5000
RECAL_IMAGES = 512

SPACE = {
    "name": "fmnist-ofa",
    "input": {"channels": 1, "size": 28, "mean": MEAN, "std": STD},
    "resolutions": [20, 24, 28],
    "stem": {"out": 16, "kernel": 3, "stride": 1, "act": "hswish"},
    "stages": [
        {"out": 24, "stride": 2, "act": "relu"},
        {"out": 40, "stride": 2, "act": "relu"},
        {"out": 64, "stride": 2, "act": "hswish"},
        {"out": 96, "stride": 1, "act": "hswish"},
    ],
    "depths": [1, 2, 3],
    "expands": [2, 3, 4],
    "kernels": [3, 5, 7],
    "head": {"out": 192, "act": "hswish"},
    "classes": 10,
    "bn_eps": 1e-5,
    "recal_images": RECAL_IMAGES,
    "val_images": VAL_IMAGES,
}


# ---- data ---------------------------------------------------------------------

def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def load_split(name):
    x = read_idx(os.path.join(DATA_DIR, f"{name}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(DATA_DIR, f"{name}-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)
    x = (x - MEAN) / STD
    return x, torch.from_numpy(y.astype(np.int64))


def augment(x, gen):
    """Random crop with 2 pixels of zero (mean-valued) padding, and flips."""
    n = x.shape[0]
    pad = F.pad(x, (2, 2, 2, 2), value=(0.0 - MEAN) / STD)
    dx = torch.randint(0, 5, (n,), generator=gen)
    dy = torch.randint(0, 5, (n,), generator=gen)
    out = torch.empty_like(x)
    for i in range(n):
        out[i] = pad[i, :, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28]
    flip = torch.rand(n, generator=gen) < 0.5
    out[flip] = out[flip].flip(3)
    return out


def resize(x, r):
    if r == x.shape[-1]:
        return x
    return F.interpolate(x, size=(r, r), mode="bilinear", align_corners=False)


# ---- the supernet -------------------------------------------------------------

def act_fn(name):
    return {"relu": F.relu, "hswish": F.hardswish}[name]


class DynBN(nn.BatchNorm2d):
    """BatchNorm over the first c channels."""

    def forward(self, x):
        c = x.shape[1]
        if self.training and self.momentum is None:
            # recalibration: cumulative average over the batches seen
            self.num_batches_tracked += 1
            mom = 1.0 / float(self.num_batches_tracked)
        else:
            mom = 0.0 if self.momentum is None else self.momentum
        return F.batch_norm(x, self.running_mean[:c], self.running_var[:c],
                            self.weight[:c], self.bias[:c],
                            self.training, mom, self.eps)


class Block(nn.Module):
    def __init__(self, cin, cout, stride, act):
        super().__init__()
        self.cin, self.cout, self.stride, self.act = cin, cout, stride, act
        mid = cin * max(SPACE["expands"])
        self.pw1 = nn.Parameter(torch.empty(mid, cin, 1, 1))
        self.bn1 = DynBN(mid)
        self.dw = nn.Parameter(torch.empty(mid, 1, 7, 7))
        self.t5 = nn.Parameter(torch.eye(25))
        self.t3 = nn.Parameter(torch.eye(9))
        self.bn2 = DynBN(mid)
        self.pw2 = nn.Parameter(torch.empty(cout, mid, 1, 1))
        self.bn3 = DynBN(cout)
        nn.init.kaiming_normal_(self.pw1, mode="fan_out")
        nn.init.kaiming_normal_(self.dw, mode="fan_out")
        nn.init.kaiming_normal_(self.pw2, mode="fan_out")
        self.residual = stride == 1 and cin == cout
        if self.residual:  # start residual branches near zero
            nn.init.zeros_(self.bn3.weight)

    def dw_kernel(self, mid, k):
        w = self.dw[:mid]
        if k == 7:
            return w
        w5 = w[:, :, 1:6, 1:6].reshape(mid, 25) @ self.t5.t()
        w5 = w5.reshape(mid, 1, 5, 5)
        if k == 5:
            return w5
        w3 = w5[:, :, 1:4, 1:4].reshape(mid, 9) @ self.t3.t()
        return w3.reshape(mid, 1, 3, 3)

    def forward(self, x, e, k):
        mid = self.cin * e
        a = act_fn(self.act)
        y = a(self.bn1(F.conv2d(x, self.pw1[:mid])))
        y = a(self.bn2(F.conv2d(y, self.dw_kernel(mid, k), stride=self.stride,
                                padding=(k - 1) // 2, groups=mid)))
        y = self.bn3(F.conv2d(y, self.pw2[:, :mid]))
        return x + y if self.residual else y


class Supernet(nn.Module):
    def __init__(self):
        super().__init__()
        s = SPACE
        c = s["stem"]["out"]
        self.stem = nn.Conv2d(1, c, 3, 1, 1, bias=False)
        self.stem_bn = DynBN(c)
        self.stages = nn.ModuleList()
        for st in s["stages"]:
            blocks = nn.ModuleList()
            for i in range(max(s["depths"])):
                blocks.append(Block(c, st["out"], st["stride"] if i == 0 else 1,
                                    st["act"]))
                c = st["out"]
            self.stages.append(blocks)
        self.head = nn.Conv2d(c, s["head"]["out"], 1, bias=False)
        self.head_bn = DynBN(s["head"]["out"])
        self.fc = nn.Linear(s["head"]["out"], s["classes"])
        nn.init.kaiming_normal_(self.stem.weight, mode="fan_out")
        nn.init.kaiming_normal_(self.head.weight, mode="fan_out")

    def forward(self, x, arch):
        x = resize(x, arch["r"])
        x = F.hardswish(self.stem_bn(self.stem(x)))
        for si, blocks in enumerate(self.stages):
            for bi in range(arch["d"][si]):
                x = blocks[bi](x, arch["e"][si][bi], arch["k"][si][bi])
        x = F.hardswish(self.head_bn(self.head(x)))
        x = x.mean((2, 3))
        return self.fc(x)


# ---- sub-nets -----------------------------------------------------------------

def arch_largest():
    s = SPACE
    n = max(s["depths"])
    return {"r": max(s["resolutions"]), "d": [n] * 4,
            "e": [[max(s["expands"])] * n for _ in range(4)],
            "k": [[max(s["kernels"])] * n for _ in range(4)]}


def arch_smallest():
    s = SPACE
    n = max(s["depths"])
    return {"r": min(s["resolutions"]), "d": [min(s["depths"])] * 4,
            "e": [[min(s["expands"])] * n for _ in range(4)],
            "k": [[min(s["kernels"])] * n for _ in range(4)]}


def arch_random(rng):
    s = SPACE
    n = max(s["depths"])
    return {"r": rng.choice(s["resolutions"]),
            "d": [rng.choice(s["depths"]) for _ in range(4)],
            "e": [[rng.choice(s["expands"]) for _ in range(n)] for _ in range(4)],
            "k": [[rng.choice(s["kernels"]) for _ in range(n)] for _ in range(4)]}


def arch_str(a):
    """The canonical arch string: r28-d3.2.1.3-s1:e4k7,e3k5,e4k3-s2:... (only
    the blocks that run are listed)."""
    parts = [f"r{a['r']}", "d" + ".".join(str(d) for d in a["d"])]
    for si in range(4):
        blocks = ",".join(f"e{a['e'][si][b]}k{a['k'][si][b]}"
                          for b in range(a["d"][si]))
        parts.append(f"s{si + 1}:{blocks}")
    return "-".join(parts)


# ---- training -----------------------------------------------------------------

def recalibrate(model, x_recal, arch):
    """BN recalibration as defined in the docstring."""
    bns = [m for m in model.modules() if isinstance(m, DynBN)]
    saved = [(m.momentum, m.running_mean.clone(), m.running_var.clone(),
              m.num_batches_tracked.clone()) for m in bns]
    for m in bns:
        m.momentum = None
        m.num_batches_tracked.zero_()
    model.train()
    with torch.no_grad():
        model(x_recal, arch)
    model.eval()
    return bns, saved


def restore_bn(bns, saved):
    for m, (mom, rm, rv, nb) in zip(bns, saved):
        m.momentum = mom
        m.running_mean.copy_(rm)
        m.running_var.copy_(rv)
        m.num_batches_tracked.copy_(nb)


def evaluate(model, x, y, arch, x_recal, batch=1000):
    bns, saved = recalibrate(model, x_recal, arch)
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            out = model(x[i:i + batch].contiguous(memory_format=torch.channels_last), arch)
            correct += (out.argmax(1) == y[i:i + batch]).sum().item()
    restore_bn(bns, saved)
    return 100.0 * correct / x.shape[0]


def lr_at(step, total, base):
    return 0.5 * base * (1 + math.cos(math.pi * step / total))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__[__doc__.index("\n") + 1:])
    ap.add_argument("--out", default="models/fmnist-ofa.pt",
                    help="checkpoint to write after every epoch (default %(default)s)")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=0,
                    help="stop after this many steps (a smoke test); 0: all")
    ap.add_argument("--resume", action="store_true",
                    help="continue from --out if it exists")
    args = ap.parse_args()

    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(args.seed)
    x_all, y_all = load_split("train")
    x_test, y_test = load_split("t10k")
    x_train, y_train = x_all[:-VAL_IMAGES], y_all[:-VAL_IMAGES]
    x_val, y_val = x_all[-VAL_IMAGES:], y_all[-VAL_IMAGES:]
    x_recal = x_train[:RECAL_IMAGES].contiguous(memory_format=torch.channels_last)

    model = Supernet().to(memory_format=torch.channels_last)
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if p.ndim <= 1 or n.endswith((".t5", ".t3")) else decay).append(p)
    opt = torch.optim.SGD([{"params": decay, "weight_decay": 3e-5},
                           {"params": no_decay, "weight_decay": 0.0}],
                          lr=args.lr, momentum=0.9, nesterov=True)
    steps_per_epoch = x_train.shape[0] // args.batch
    total = steps_per_epoch * args.epochs
    start_epoch, log = 0, []
    if args.resume and os.path.exists(args.out):
        ck = torch.load(args.out)
        model.load_state_dict(ck["state_dict"])
        opt.load_state_dict(ck["optimizer"])
        start_epoch, log = ck["epoch"], ck["log"]
        print(f"resumed from {args.out} after epoch {start_epoch}", flush=True)

    step = start_epoch * steps_per_epoch
    for epoch in range(start_epoch, args.epochs):
        gen = torch.Generator().manual_seed(args.seed * 1000 + epoch)
        rng = random.Random(args.seed * 1000 + epoch)
        perm = torch.randperm(x_train.shape[0], generator=gen)
        model.train()
        t0 = time.time()
        for it in range(steps_per_epoch):
            idx = perm[it * args.batch:(it + 1) * args.batch]
            xb = augment(x_train[idx], gen).contiguous(memory_format=torch.channels_last)
            yb = y_train[idx]
            for g in opt.param_groups:
                g["lr"] = lr_at(step, total, args.lr)
            opt.zero_grad(set_to_none=True)
            out = model(xb, arch_largest())
            loss = F.cross_entropy(out, yb, label_smoothing=0.1)
            loss.backward()
            soft = F.softmax(out.detach(), 1)
            for arch in (arch_smallest(), arch_random(rng), arch_random(rng)):
                o = model(xb, arch)
                kd = -(soft * F.log_softmax(o, 1)).sum(1).mean()
                kd.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            step += 1
            if it % 50 == 0:
                el = time.time() - t0
                print(f"epoch {epoch + 1}/{args.epochs} step {it}/{steps_per_epoch} "
                      f"loss {loss.item():.3f} kd {kd.item():.3f} "
                      f"lr {opt.param_groups[0]['lr']:.4f} {el:.0f}s", flush=True)
            if args.steps and step >= args.steps:
                break
        big = evaluate(model, x_val, y_val, arch_largest(), x_recal)
        small = evaluate(model, x_val, y_val, arch_smallest(), x_recal)
        entry = {"epoch": epoch + 1, "val_largest": big, "val_smallest": small,
                 "seconds": round(time.time() - t0, 1)}
        log.append(entry)
        print(json.dumps(entry), flush=True)
        ck = {"state_dict": model.state_dict(), "optimizer": opt.state_dict(),
              "epoch": epoch + 1, "log": log, "space": SPACE, "args": vars(args)}
        tmp = args.out + ".tmp"
        torch.save(ck, tmp)
        os.replace(tmp, args.out)
        if args.steps and step >= args.steps:
            break
    big = evaluate(model, x_test, y_test, arch_largest(), x_recal)
    small = evaluate(model, x_test, y_test, arch_smallest(), x_recal)
    print(json.dumps({"test_largest": big, "test_smallest": small,
                      "largest": arch_str(arch_largest()),
                      "smallest": arch_str(arch_smallest())}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
