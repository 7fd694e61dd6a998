#!/usr/bin/python3
"""PyTorch's side of bench/models: times .xnm sub-models in torch.

For each FILE.xnm (format: supernet/xs.h) it builds the same network from the
file's folded weights (NCHW modules: Conv2d with bias, depthwise as groups = C,
bilinear resize with align_corners=False, h-swish, add, mean, Linear), freezes
it with torch.jit (trace, freeze, optimize_for_inference) and times batch 1 on
1 and 2 threads with the input in FILE.xnm.input (raw f32, NHWC).

Output, one row per model and thread count:
    torch,INDEX,THREADS,MEDIAN_MS,MODE,LOGIT0,LOGIT1,...
or "error,MESSAGE" when torch cannot run. MODE is "optimized", or "frozen"
when optimize_for_inference's result disagrees with the eager module's (this
Debian torch's mkldnn rewrite gets some channel counts wrong, e.g. 72; then
the frozen TorchScript module without that pass is timed instead).
"""
import argparse
import struct
import sys
import time
import warnings

warnings.filterwarnings("ignore", category=UserWarning)

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # the bench says so and goes on
    print(f"error,{e}")
    sys.exit(0)

OPS = ["resize", "conv", "pw", "dw", "add", "gavgpool", "fc"]
ACTS = ["none", "relu", "relu6", "hswish"]


def read_xnm(path):
    b = open(path, "rb").read()
    if b[:8] != b"XFSUBMDL":
        raise ValueError(f"{path}: not an .xnm file")
    (version, precision, nvalues, nnodes, alen, classes, mean, std, nweights,
     woff) = struct.unpack_from("<IIIIIIffQQ", b, 8)
    off = 64 + ((alen + 3) & ~3)
    values = [struct.unpack_from("<III", b, off + 12 * i) for i in range(nvalues)]
    off += 12 * nvalues
    nodes = []
    for i in range(nnodes):
        op, in0, in1, out, act, k, s, _, w, bias = struct.unpack_from("<8IQQ", b, off + 48 * i)
        nodes.append(dict(op=OPS[op], ins=(in0, in1), out=out, act=ACTS[act], k=k, s=s,
                          w=w, b=bias))
    weights = np.frombuffer(b, dtype="<f4", count=nweights, offset=woff).copy()
    return values, nodes, torch.from_numpy(weights)


class Net(nn.Module):
    def __init__(self, values, nodes, w):
        super().__init__()
        self.values, self.nodes = values, nodes
        self.mods = nn.ModuleList()
        for n in nodes:
            cin = values[n["ins"][0]][2]
            h, wd, cout = values[n["out"]]
            m = None
            if n["op"] in ("conv", "pw", "dw"):
                k = n["k"] if n["op"] != "pw" else 1
                groups = cin if n["op"] == "dw" else 1
                m = nn.Conv2d(cin, cout, k, stride=max(n["s"], 1), padding=(k - 1) // 2,
                              groups=groups, bias=True)
                cnt = cout * (cin // groups) * k * k
                m.weight.data = w[n["w"]:n["w"] + cnt].reshape(m.weight.shape).clone()
                m.bias.data = w[n["b"]:n["b"] + cout].clone()
            elif n["op"] == "fc":
                m = nn.Linear(cin, cout)
                m.weight.data = w[n["w"]:n["w"] + cout * cin].reshape(cout, cin).clone()
                m.bias.data = w[n["b"]:n["b"] + cout].clone()
            self.mods.append(m if m is not None else nn.Identity())

    def forward(self, x):
        v = [x] + [None] * (len(self.values) - 1)
        for n, m in zip(self.nodes, self.mods):
            a = v[n["ins"][0]]
            op = n["op"]
            if op == "resize":
                h, w, _ = self.values[n["out"]]
                y = F.interpolate(a, size=(h, w), mode="bilinear", align_corners=False)
            elif op in ("conv", "pw", "dw"):
                y = m(a)
            elif op == "add":
                y = a + v[n["ins"][1]]
            elif op == "gavgpool":
                y = a.mean((2, 3))
            else:
                y = m(a.flatten(1))
            act = n["act"]
            if act == "relu":
                y = F.relu(y)
            elif act == "relu6":
                y = F.relu6(y)
            elif act == "hswish":
                y = F.hardswish(y)
            v[n["out"]] = y
        return v[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="timing per model and thread count")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    for idx, path in enumerate(args.files):
        values, nodes, w = read_xnm(path)
        h, wd, c = values[0]
        x = torch.from_numpy(np.fromfile(path + ".input", dtype="<f4").reshape(1, h, wd, c))
        x = x.permute(0, 3, 1, 2).contiguous()
        net = Net(values, nodes, w).eval()
        with torch.no_grad():
            eager = net(x)
            jit = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(net, x)))
            mode = "optimized"
            if (jit(x) - eager).abs().max() > 1e-4 * eager.abs().max():
                jit = torch.jit.freeze(torch.jit.trace(net, x))
                mode = "frozen"
            for threads in (1, 2):
                torch.set_num_threads(threads)
                for _ in range(5):
                    out = jit(x)
                times, t_end = [], time.perf_counter() + args.seconds
                while time.perf_counter() < t_end or len(times) < 10:
                    t0 = time.perf_counter()
                    out = jit(x)
                    times.append(time.perf_counter() - t0)
                times.sort()
                ms = 1e3 * times[len(times) // 2]
                logits = ",".join(f"{v:.9g}" for v in out.reshape(-1).tolist())
                print(f"torch,{idx},{threads},{ms:.4f},{mode},{logits}", flush=True)


if __name__ == "__main__":
    main()
