#!/usr/bin/env python3
"""Shows that the golden fixtures catch plausible implementation mistakes.

Each variant rewrites one line of nemotron_ref.py into a known-wrong reading of the spec (e.g. B/C
shared across heads by h % G instead of h // (n_m/G), norm before the gate, router bias used in the
weights), runs the fixture prompt and requires the logits to move by more than MIN_EFFECT from the
committed golden logits. Exit status 1 if any mistake would go unnoticed (or a line no longer exists).
"""
import json
import os
import sys
import types

import numpy as np
import torch

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nemotron_ref as ref  # noqa: E402

MIN_EFFECT = 0.1
# (case, description, original line fragment, wrong replacement)
VARIANTS = [
    ("dense_f32", "B/C group of head h = h % G", "Bg.repeat_interleave(heads_per_group, dim=1)",
     "Bg.repeat(1, heads_per_group, 1)"),
    ("mamba_p80_sharded", "B/C group of head h = h % G", "Bg.repeat_interleave(heads_per_group, dim=1)",
     "Bg.repeat(1, heads_per_group, 1)"),
    ("dense_f32", "gated norm without the silu(z) gate", "y = y.reshape(T, d_in) * F.silu(z)",
     "y = y.reshape(T, d_in)"),
    ("mamba_p80_sharded", "full-width instead of group RMSNorm", "yg = y.reshape(T, G, d_in // G)",
     "yg = y.reshape(T, 1, d_in)"),
    ("dense_f32", "no D skip", 'y = y + w[p + "D"][None, :, None] * x', "y = y"),
    ("tiny_conv_k4_t2", "conv taps reversed", "weight[:, 0, j] * full", "weight[:, 0, K - 1 - j] * full"),
    ("dense_f32", "conv without bias", "acc = acc + bias", "acc = acc"),
    ("dense_f32", "dt without softplus", 'dt = F.softplus(dt_raw + w[p + "dt_bias"], beta=1.0, threshold=20.0)',
     'dt = (dt_raw + w[p + "dt_bias"]).clamp(min=1e-4)'),
    ("dense_f32", "GQA kv heads tiled", "k = k.repeat_interleave(rep, dim=1)", "k = k.repeat(1, rep, 1)"),
    ("dense_f32", "attention scale 1/sqrt(H/n_h)", "/ math.sqrt(d_h)", "/ math.sqrt(cfg.hidden_size / n_h)"),
    ("moe_f32", "correction bias in the weights", "wts = scores.gather(1, idx)", "wts = biased.gather(1, idx)"),
    ("moe_latent_stacked", "correction bias in the weights", "wts = scores.gather(1, idx)",
     "wts = biased.gather(1, idx)"),
    ("moe_f32", "no group limit", "masked = biased.masked_fill(~expert_mask, -math.inf)", "masked = biased"),
    ("moe_f32", "softmax router", "scores = torch.sigmoid(u @ gate_w.T)", "scores = torch.softmax(u @ gate_w.T, -1)"),
    ("moe_f32", "no renormalization", "wts = wts / (wts.sum(-1, keepdim=True) + 1e-20)", "wts = wts"),
    ("moe_f32", "shared expert missing", "return routed + shared", "return routed"),
]


def main():
    fixtures = os.path.join(HERE, "..", "..", "tests", "fixtures")
    with open(ref.__file__) as f:
        source = f.read()
    bad = 0
    for case, what, old, new in VARIANTS:
        d = os.path.join(fixtures, case)
        with open(os.path.join(d, "golden.json")) as f:
            tokens = json.load(f)["tokens"]
        golden = torch.from_numpy(np.load(os.path.join(d, "logits.npy"))).double()
        if source.count(old) != 1:
            print(f"FAIL {case}: {what}: line {old!r} not found exactly once in nemotron_ref.py")
            bad += 1
            continue
        mutant = types.ModuleType("nemotron_ref_mutant")
        mutant.__file__ = ref.__file__
        exec(compile(source.replace(old, new), ref.__file__, "exec"), mutant.__dict__)
        cfg, w = mutant.load_model(d)
        effect = float((mutant.forward(cfg, w, tokens) - golden).abs().max())
        ok = effect > MIN_EFFECT
        bad += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {case:20s} {what:38s} max|logit change| {effect:.3f}")
    return 1 if bad else 0


if __name__ == "__main__":
    torch.set_num_threads(1)
    sys.exit(main())
