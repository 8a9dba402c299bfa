#!/usr/bin/env python3
"""Self-checks of the reference on the committed fixtures (exit status 1 on any failure).

  self_check.py [--fixtures tests/fixtures]

For every case: chunked SSD == sequential scan for several chunk sizes, prefill == token-by-token
decode == split prefill (all float64, 1e-9), float32 within 1e-3 of float64, logits.npy equals a
recomputation from the stored weights (1e-6), greedy ids with and without the cache equal the
golden ones. Plus: config alias parsing, safetensors round trips, per-expert vs stacked expert
layouts, and float32 autograd through the whole model.
"""
import argparse
import copy
import json
import os
import sys
import tempfile

import numpy as np
import torch

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nemotron_config  # noqa: E402
import nemotron_ref as ref  # noqa: E402
import safetensors_io  # noqa: E402

F64_TOL = 1e-9
F32_TOL = 1e-3
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def _diff(a, b):
    return float((a - b).abs().max())


def check_case(directory):
    name = os.path.basename(directory)
    with open(os.path.join(directory, "golden.json")) as f:
        golden = json.load(f)
    cfg, w = ref.load_model(directory, torch.float64)
    tokens = golden["tokens"]
    logits = ref.forward(cfg, w, tokens, mamba_mode="ssd")
    stored = torch.from_numpy(np.load(os.path.join(directory, golden["logits_file"]))).double()
    check(stored.shape == logits.shape and _diff(stored, logits) <= 1e-6,
          f"{name}: logits.npy equals a recomputation from the stored weights")
    scan = ref.forward(cfg, w, tokens, mamba_mode="scan")
    check(_diff(logits, scan) <= F64_TOL, f"{name}: chunked SSD == sequential scan ({_diff(logits, scan):.1e})")
    for q in (1, 3, 5, len(tokens) + 3):
        c = copy.copy(cfg)
        c.chunk_size = q
        d = _diff(ref.forward(c, w, tokens, mamba_mode="ssd"), scan)
        check(d <= F64_TOL, f"{name}: SSD with chunk_size {q} == scan ({d:.1e})")
    dec = ref.decode_logits(cfg, w, tokens)
    check(_diff(logits, dec) <= F64_TOL, f"{name}: prefill == token-by-token decode ({_diff(logits, dec):.1e})")
    for cut in sorted({1, len(tokens) // 3, len(tokens) - 1} - {0}):
        if cut >= len(tokens):
            continue
        cache = ref.Cache(cfg)
        split = torch.cat([ref.forward(cfg, w, tokens[:cut], cache), ref.forward(cfg, w, tokens[cut:], cache)])
        check(_diff(logits, split) <= F64_TOL, f"{name}: prefill {cut} + continue == one prefill")
    _, w32 = ref.load_model(directory, torch.float32)
    d32 = _diff(ref.forward(cfg, w32, tokens).double(), logits)
    check(d32 <= F32_TOL, f"{name}: float32 vs float64 ({d32:.1e})")
    prompt, n = golden["greedy_prompt"], golden["greedy_n"]
    check(ref.greedy_recompute(cfg, w, prompt, n) == golden["greedy_ids"], f"{name}: greedy (recompute) == golden")
    check(ref.greedy_cached(cfg, w, prompt, n) == golden["greedy_ids"], f"{name}: greedy (decode cache) == golden")
    check(ref.greedy_cached(cfg, w32, prompt, n, torch.float32) == golden["greedy_ids"],
          f"{name}: greedy in float32 == golden")
    return cfg, w


def check_config_aliases():
    base = {"hidden_size": 32, "num_attention_heads": 4, "num_key_value_heads": 2,
            "mamba_num_heads": 4, "n_groups": 2}
    c = nemotron_config.config_from_dict(dict(base, layers_block_type=["linear_attention", "full_attention",
                                                                        "mlp", "moe", "mamba", "attention"]))
    check(c.pattern == "M*-EM*", "layers_block_type list form (incl. linear/full_attention)")
    c = nemotron_config.config_from_dict(json.loads(
        '{"hybrid_override_pattern": "M", "time_step_limit": [0.0, Infinity], "attention_head_dim": 12,'
        ' "num_key_value_heads": null, "num_attention_heads": 4, "mamba_n_groups": 2, "mamba_d_conv": 3,'
        ' "mamba_chunk_size": 16, "num_local_experts": 16, "hidden_act": "relu2", "rms_norm_eps": 1e-6}'))
    check(c.time_step_limit == (0.0, float("inf")) and c.head_dim == 12 and c.num_key_value_heads == 4
          and c.n_groups == 2 and c.conv_kernel == 3 and c.chunk_size == 16 and c.n_routed_experts == 16
          and c.layer_norm_epsilon == 1e-6, "legacy aliases, literal Infinity, null num_key_value_heads")
    c = nemotron_config.config_from_dict(dict(base, hybrid_override_pattern="M",
                                              time_step_limit=[0.0, {"__float__": "Infinity"}]))
    check(c.time_step_limit[1] == float("inf") and c.head_dim == 8, '{"__float__": "Infinity"}, head_dim = H/n_h')
    c = nemotron_config.config_from_dict(dict(base, hybrid_override_pattern="M", mamba_head_dim=80, expand=2))
    check(c.d_inner == 320, "d_in = mamba_num_heads * mamba_head_dim, expand ignored")


def check_safetensors_roundtrip():
    g = torch.Generator().manual_seed(0)
    tensors = {"a": torch.randn(3, 5, generator=g), "b": torch.randn(7, generator=g).to(torch.bfloat16),
               "c": torch.randn(2, 2, 2, generator=g).to(torch.float16), "d": torch.tensor(1.5)}
    with tempfile.TemporaryDirectory() as d:
        safetensors_io.write_file(os.path.join(d, "model.safetensors"), tensors, {"format": "pt"})
        back = safetensors_io.read_checkpoint(d)
        ok = all(back[k].dtype == t.dtype and torch.equal(back[k], t) for k, t in tensors.items())
        check(ok, "safetensors single-file round trip (F32, BF16, F16, scalar)")
    with tempfile.TemporaryDirectory() as d:
        safetensors_io.write_sharded(d, tensors, 3)
        back = safetensors_io.read_checkpoint(d)
        check(all(torch.equal(back[k], t) for k, t in tensors.items()) and len(back) == 4,
              "safetensors sharded round trip with index")


def check_expert_layouts(fixtures):
    """The per-expert moe_f32 checkpoint rewritten stacked under model.* must give the same logits."""
    src = os.path.join(fixtures, "moe_f32")
    raw = safetensors_io.read_checkpoint(src)
    cfg = nemotron_config.load_config(os.path.join(src, "config.json"))
    out = {}
    for name, t in raw.items():
        if ".experts." in name and ".shared_experts." not in name:
            base, rest = name.split(".experts.")
            e, proj, _ = rest.split(".")
            out.setdefault(f"{base.replace('backbone.', 'model.', 1)}.experts.{proj}", {})[int(e)] = t
        else:
            out[name.replace("backbone.", "model.", 1)] = t
    for k, v in list(out.items()):
        if isinstance(v, dict):
            out[k] = torch.stack([v[e] for e in sorted(v)])
    with tempfile.TemporaryDirectory() as d:
        safetensors_io.write_file(os.path.join(d, "model.safetensors"), out)
        with open(os.path.join(src, "config.json")) as f, open(os.path.join(d, "config.json"), "w") as g:
            g.write(f.read())
        _, w_stacked = ref.load_model(d)
    _, w = ref.load_model(src)
    toks = list(range(0, cfg.vocab_size, 9))
    check(_diff(ref.forward(cfg, w, toks), ref.forward(cfg, w_stacked, toks)) == 0.0,
          "per-expert and stacked (model.*) expert layouts give identical logits")


def check_autograd(fixtures):
    cfg, w = ref.load_model(os.path.join(fixtures, "moe_f32"), torch.float32)
    model = ref.NemotronH(cfg, w)
    toks = list(range(0, 19))
    logits = model(toks[:-1])
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(toks[1:]))
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    # the correction bias only steers the (non-differentiable) selection: it gets no gradient
    finite = all(g is None or torch.isfinite(g).all() for g in grads)
    nonzero = sum(1 for n, p in zip(model.names, model.parameters())
                  if p.grad is not None and float(p.grad.abs().max()) > 0 or n.endswith("e_score_correction_bias"))
    check(finite and nonzero == len(grads), f"float32 autograd: finite gradients on all {len(grads)} parameters")


def check_conv_against_torch_conv1d():
    """causal_conv == PyTorch Conv1d(groups=d_conv, padding=K-1) keeping the first T outputs (the
    formulation of the HF torch path), including continuation from a conv state."""
    g = torch.Generator().manual_seed(1)
    T, d, K = 9, 5, 4
    x = torch.randn(T, d, generator=g, dtype=torch.float64)
    wt = torch.randn(d, 1, K, generator=g, dtype=torch.float64)
    b = torch.randn(d, generator=g, dtype=torch.float64)
    want = torch.nn.functional.silu(torch.nn.functional.conv1d(x.T[None], wt, b, padding=K - 1, groups=d)[0, :, :T].T)
    got, state = ref.causal_conv(x, wt, b, torch.zeros(K - 1, d, dtype=torch.float64))
    got2a, st = ref.causal_conv(x[:4], wt, b, torch.zeros(K - 1, d, dtype=torch.float64))
    got2b, _ = ref.causal_conv(x[4:], wt, b, st)
    check(_diff(got, want) < 1e-12 and torch.equal(state, x[-(K - 1):])
          and _diff(torch.cat([got2a, got2b]), want) < 1e-12, "causal conv == torch conv1d (fresh and continued)")


def check_check_logits(fixtures):
    """check_logits.py exits 0 within tolerance and 1 above it (bf16 weights move logits ~1e-2)."""
    import check_logits
    a = os.path.join(fixtures, "dense_f32", "logits.npy")
    b = os.path.join(fixtures, "dense_bf16", "logits.npy")
    check(check_logits.main([a, a, "--atol", "0"]) == 0, "check_logits accepts identical arrays")
    check(check_logits.main([a, b, "--atol", "1e-4"]) == 1, "check_logits rejects f32 vs bf16-weight logits at 1e-4")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", default=os.path.join(HERE, "..", "..", "tests", "fixtures"))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    cases = sorted(d for d in os.listdir(args.fixtures) if os.path.isdir(os.path.join(args.fixtures, d)))
    check(len(cases) > 0, f"fixtures found under {args.fixtures}")
    for case in cases:
        check_case(os.path.join(args.fixtures, case))
    check_config_aliases()
    check_safetensors_roundtrip()
    check_expert_layouts(args.fixtures)
    check_autograd(args.fixtures)
    check_check_logits(args.fixtures)
    check_conv_against_torch_conv1d()
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
