#!/usr/bin/python3
"""make-corpus.py - writes corpus-xsn/tiny.xsn, the fuzzer's seed: a valid
supernet of a one-stage space, small enough for libFuzzer's default input
length, written by scripts/export_xsn.py's own writer.

    /usr/bin/python3 tests/fuzz/make-corpus.py
"""
import os
import sys

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "scripts"))
import export_xsn  # noqa: E402

SPACE = {
    "name": "tiny", "input": {"channels": 1, "size": 4, "mean": 0.5, "std": 0.25},
    "resolutions": [4], "stem": {"out": 2, "kernel": 3, "stride": 1, "act": "hswish"},
    "stages": [{"out": 2, "stride": 2, "act": "relu"}], "depths": [1],
    "expands": [1], "kernels": [3], "head": {"out": 2, "act": "hswish"},
    "classes": 2, "bn_eps": 1e-5, "recal_images": 1, "val_images": 1,
}


def bn(prefix, c):
    return {f"{prefix}.{p}": torch.rand(c) for p in
            ("weight", "bias", "running_mean", "running_var")}


def main():
    torch.manual_seed(0)
    state = {"stem.weight": torch.randn(2, 1, 3, 3), **bn("stem_bn", 2),
             "stages.0.0.pw1": torch.randn(2, 2, 1, 1), **bn("stages.0.0.bn1", 2),
             "stages.0.0.dw": torch.randn(2, 1, 3, 3), **bn("stages.0.0.bn2", 2),
             "stages.0.0.pw2": torch.randn(2, 2, 1, 1), **bn("stages.0.0.bn3", 2),
             "head.weight": torch.randn(2, 2, 1, 1), **bn("head_bn", 2),
             "fc.weight": torch.randn(2, 2), "fc.bias": torch.randn(2)}
    out = os.path.join(here, "corpus-xsn", "tiny.xsn")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    export_xsn.write_xsn(state, SPACE, out)
    print(f"wrote {out} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main()
