#!/usr/bin/env python3
"""Compares two logits arrays (.npy, same shape): prints the max abs diff, exits 1 above --atol.

  check_logits.py A.npy B.npy --atol 1e-4
"""
import argparse
import sys

import numpy as np


def main(argv=None):
    ap = argparse.ArgumentParser(description="max |A - B| of two .npy logits arrays")
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--atol", type=float, default=1e-4, help="tolerance on the max abs diff (default 1e-4)")
    args = ap.parse_args(argv)
    a = np.load(args.a).astype(np.float64)
    b = np.load(args.b).astype(np.float64)
    if a.shape != b.shape:
        print(f"shape mismatch: {args.a} {a.shape} vs {args.b} {b.shape}")
        return 2
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        print("non-finite values present")
        return 1
    diff = np.abs(a - b)
    worst = np.unravel_index(int(diff.argmax()), diff.shape) if diff.size else ()
    mad = float(diff.max()) if diff.size else 0.0
    same_argmax = (a.argmax(-1) == b.argmax(-1)).mean() if a.ndim and a.size else 1.0
    print(f"max_abs_diff {mad:.3e} at {tuple(int(i) for i in worst)}  atol {args.atol:g}  "
          f"argmax agreement {same_argmax:.3f}")
    return 0 if mad <= args.atol else 1


if __name__ == "__main__":
    sys.exit(main())
