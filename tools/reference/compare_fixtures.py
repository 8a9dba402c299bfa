#!/usr/bin/env python3
"""Checks that regenerated fixtures equal the committed ones.

  compare_fixtures.py COMMITTED_ROOT REGENERATED_ROOT [CASE ...]

config.json, *.safetensors and the shard index must be byte-identical; logits.npy within 1e-6;
golden.json: integer fields identical, measured float figures within 1e-6 (they are float64
round-off measurements that may differ in the last bits between BLAS builds). Fields measured in float32
(`float32_*`) depend on the float32 kernels torch picks at run time and are compared within 1e-4.
"""
import json
import os
import sys

import numpy as np

LOGITS_ATOL = 1e-6


def _compare_json(a, b, path, errors):
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            errors.append(f"{path}: keys differ {sorted(set(a) ^ set(b))}")
        for k in set(a) & set(b):
            _compare_json(a[k], b[k], f"{path}.{k}", errors)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            errors.append(f"{path}: length {len(a)} vs {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            _compare_json(x, y, f"{path}[{i}]", errors)
    elif isinstance(a, float) or isinstance(b, float):
        tol = 1e-4 if path.split(".")[-1].startswith("float32_") else 1e-6
        if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or abs(a - b) > tol:
            errors.append(f"{path}: {a!r} vs {b!r}")
    elif a != b:
        errors.append(f"{path}: {a!r} vs {b!r}")


def compare_case(committed, regen):
    errors = []
    names = sorted(set(os.listdir(committed)) | set(os.listdir(regen)))
    for name in names:
        a, b = os.path.join(committed, name), os.path.join(regen, name)
        if not (os.path.exists(a) and os.path.exists(b)):
            errors.append(f"{name}: present in only one of the two directories")
        elif name.endswith(".npy"):
            x, y = np.load(a), np.load(b)
            if x.shape != y.shape or x.dtype != y.dtype:
                errors.append(f"{name}: shape/dtype {x.shape} {x.dtype} vs {y.shape} {y.dtype}")
            elif np.abs(x.astype(np.float64) - y).max() > LOGITS_ATOL:
                errors.append(f"{name}: max abs diff {np.abs(x.astype(np.float64) - y).max():.3g} > {LOGITS_ATOL}")
        elif name == "golden.json":
            with open(a) as fa, open(b) as fb:
                _compare_json(json.load(fa), json.load(fb), name, errors)
        else:
            with open(a, "rb") as fa, open(b, "rb") as fb:
                if fa.read() != fb.read():
                    errors.append(f"{name}: bytes differ")
    return errors


def compare_roots(committed_root, regen_root, cases=None):
    cases = cases or sorted(d for d in os.listdir(committed_root) if os.path.isdir(os.path.join(committed_root, d)))
    committed_cases = sorted(d for d in os.listdir(committed_root) if os.path.isdir(os.path.join(committed_root, d)))
    bad = 0
    for extra in sorted(set(committed_cases) - set(cases)):
        print(f"FAIL {extra}: committed case not produced by the generator")
        bad += 1
    for case in cases:
        errors = compare_case(os.path.join(committed_root, case), os.path.join(regen_root, case)) \
            if os.path.isdir(os.path.join(committed_root, case)) else ["case missing from the committed fixtures"]
        print(("FAIL " if errors else "ok   ") + case)
        for e in errors[:10]:
            print("     " + e)
        bad += bool(errors)
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    sys.exit(compare_roots(sys.argv[1], sys.argv[2], sys.argv[3:] or None))
