#!/usr/bin/env python3
"""Writes the golden fixtures: tiny random-weight checkpoints in HF layout + reference outputs.

  make_fixtures.py --out tests/fixtures [--case NAME ...] [--compare tests/fixtures]

Per case directory: config.json, weights (model.safetensors or shards + index), logits.npy
([T, V] float32, every prompt position, chunked-SSD prefill computed in float64 from the stored
weights read back from disk) and golden.json (prompt, greedy continuation, self-check figures).
Fully deterministic: the same generator gives byte-identical checkpoints.
"""
import argparse
import copy
import json
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_cases  # noqa: E402
import modelopt_ref  # noqa: E402
import nemotron_config  # noqa: E402
import nemotron_ref as ref  # noqa: E402
import nemotron_weights  # noqa: E402
import safetensors_io  # noqa: E402

GREEDY_N = 8
MIN_GREEDY_GAP = 0.05
F64 = torch.float64


# ----------------------------------------------------------------------------------------------
# Random weights (canonical names, float64) with scales that keep every branch significant


def _normal(rng, shape, std):
    return torch.from_numpy(rng.standard_normal(shape)) * std


def _norm_weight(rng, n):
    return 1.0 + _normal(rng, (n,), 0.1)


def _mamba_weights(cfg, rng, p):
    H, n_m, K, d_in = cfg.hidden_size, cfg.mamba_num_heads, cfg.conv_kernel, cfg.d_inner
    in_proj = _normal(rng, (cfg.d_proj, H), H ** -0.5)
    in_proj[-n_m:] *= 0.5                                   # raw dt rows: modest spread around dt_bias
    delta0 = np.exp(rng.uniform(np.log(0.01), np.log(1.0), n_m))  # target Delta in 0.01..1
    return {
        p + "in_proj.weight": in_proj,
        p + "conv1d.weight": _normal(rng, (cfg.d_conv, 1, K), K ** -0.5),
        p + "conv1d.bias": _normal(rng, (cfg.d_conv,), 0.1),
        p + "dt_bias": torch.from_numpy(np.log(np.expm1(delta0))),   # softplus^-1(delta0)
        p + "A_log": torch.from_numpy(np.log(rng.uniform(0.3, 1.5, n_m))),  # exp(Delta*A) ~ 0.2..0.997
        p + "D": 1.0 + _normal(rng, (n_m,), 0.2),
        p + "norm.weight": _norm_weight(rng, d_in),
        p + "out_proj.weight": _normal(rng, (H, d_in), d_in ** -0.5),
    }


def _attention_weights(cfg, rng, p):
    H, qd, kd = cfg.hidden_size, cfg.num_attention_heads * cfg.head_dim, cfg.num_key_value_heads * cfg.head_dim
    return {
        p + "q_proj.weight": _normal(rng, (qd, H), H ** -0.5),
        p + "k_proj.weight": _normal(rng, (kd, H), H ** -0.5),
        p + "v_proj.weight": _normal(rng, (kd, H), H ** -0.5),
        p + "o_proj.weight": _normal(rng, (H, qd), 2.0 * qd ** -0.5),  # attention averages: boost o_proj
    }


def _moe_weights(cfg, rng, p):
    H, E, Ie, Is = cfg.hidden_size, cfg.n_routed_experts, cfg.moe_intermediate_size, \
        cfg.moe_shared_expert_intermediate_size
    Dx = cfg.moe_latent_size or H
    w = {
        p + "gate.weight": _normal(rng, (E, H), H ** -0.5),
        # large enough to flip selections: sigmoid scores differ by ~0.1-0.3 between experts
        p + "gate.e_score_correction_bias": _normal(rng, (E,), 0.3),
        p + "experts.up_proj": _normal(rng, (E, Ie, Dx), Dx ** -0.5),
        p + "experts.down_proj": _normal(rng, (E, Dx, Ie), Ie ** -0.5),
        p + "shared_experts.up_proj.weight": _normal(rng, (Is, H), H ** -0.5),
        p + "shared_experts.down_proj.weight": _normal(rng, (H, Is), Is ** -0.5),
    }
    if cfg.moe_latent_size:
        w[p + "fc1_latent_proj.weight"] = _normal(rng, (Dx, H), H ** -0.5)
        w[p + "fc2_latent_proj.weight"] = _normal(rng, (H, Dx), Dx ** -0.5)
    return w


def make_weights(cfg, rng):
    H, V = cfg.hidden_size, cfg.vocab_size
    w = {"embeddings.weight": _normal(rng, (V, H), 1.0)}
    for l, c in enumerate(cfg.pattern):
        w[f"layers.{l}.norm.weight"] = _norm_weight(rng, H)
        p = f"layers.{l}.mixer."
        if c == "M":
            w.update(_mamba_weights(cfg, rng, p))
        elif c == "*":
            w.update(_attention_weights(cfg, rng, p))
        elif c == "-":
            I = cfg.intermediate_size
            w[p + "up_proj.weight"] = _normal(rng, (I, H), H ** -0.5)
            w[p + "down_proj.weight"] = _normal(rng, (H, I), I ** -0.5)
        else:
            w.update(_moe_weights(cfg, rng, p))
    w["norm_f.weight"] = _norm_weight(rng, H)
    w["lm_head.weight"] = _normal(rng, (V, H), 2.0 * H ** -0.5)  # logits of order 1-10
    return w


def checkpoint_tensors(case, cfg, w, rng):
    """Canonical float64 weights -> {checkpoint name: tensor in its storage dtype} in case layout."""
    out = {}
    for name, t in w.items():
        keep = name.endswith("e_score_correction_bias") or name.split(".")[-1] in case["keep_f32"]
        t = t.to(torch.float32 if keep else case["dtype"])
        full = name if name == "lm_head.weight" else case["prefix"] + name
        if case["experts"] == "per_expert" and name.endswith((".mixer.experts.up_proj", ".mixer.experts.down_proj")):
            base, proj = full.rsplit(".", 1)
            for e in range(t.shape[0]):
                out[f"{base}.{e}.{proj}.weight"] = t[e].clone()
        else:
            out[full] = t
    if case["mtp"]:  # an MTP head the trunk must ignore (shapes deliberately unrelated)
        H = cfg.hidden_size
        out["mtp.layers.0.enorm.weight"] = _norm_weight(rng, H).to(case["dtype"])
        out["mtp.layers.0.eh_proj.weight"] = _normal(rng, (H, 2 * H), 0.1).to(case["dtype"])
        out["mtp.layers.0.mixer.q_proj.weight"] = _normal(rng, (7, H), 0.1).to(case["dtype"])
    return out


# ----------------------------------------------------------------------------------------------
# Golden outputs


def _max_diff(a, b):
    return float((a - b).abs().max())


def _greedy_margin(cfg, w, seq, n_prompt):
    """Smallest top-1 minus top-2 logit gap over the greedy steps (robustness of the ids)."""
    logits = ref.forward(cfg, w, seq[:-1])[n_prompt - 1:]
    top2 = logits.topk(2, dim=-1).values
    return float((top2[:, 0] - top2[:, 1]).min())


def _pick_prompt(case, cfg, w):
    """Draws prompts until the greedy continuation is robust: every step's top-1/top-2 logit gap
    >= MIN_GREEDY_GAP, so that engines computing in fp32/bf16 reproduce the same ids."""
    rng = np.random.default_rng(case["seed"] + 7)
    best = None
    for _ in range(40):
        tokens = [int(t) for t in rng.integers(0, cfg.vocab_size, case["prompt_len"])]
        prompt = tokens[:case["greedy_prompt_len"]]
        greedy = ref.greedy_recompute(cfg, w, prompt, GREEDY_N)
        gap = _greedy_margin(cfg, w, prompt + greedy, len(prompt))
        if best is None or gap > best[3]:
            best = (tokens, prompt, greedy, gap)
        if gap >= MIN_GREEDY_GAP:
            break
    return best


def _selection_gaps(cfg, biased, idx):
    """(smallest gap between the k-th chosen and the best unchosen expert inside the kept groups,
    smallest gap between the last kept and the best dropped group score; None with one group)."""
    T, ng = biased.shape[0], cfg.n_group
    grouped = biased.reshape(T, ng, -1)
    gscore = grouped.topk(min(2, grouped.shape[-1]), dim=-1).values.sum(-1)       # [T, ng]
    g_sorted = gscore.sort(-1, descending=True).values
    group_gap = float((g_sorted[:, cfg.topk_group - 1] - g_sorted[:, cfg.topk_group]).min()) \
        if cfg.topk_group < ng else None
    kept = gscore.topk(cfg.topk_group, dim=-1).indices
    mask = torch.zeros(T, ng, dtype=torch.bool)
    mask[torch.arange(T)[:, None], kept] = True
    eligible = biased.masked_fill(~mask[:, :, None].expand_as(grouped).reshape(T, -1), -np.inf)
    rest = eligible.scatter(1, idx, -np.inf).max(-1).values
    return float((biased.gather(1, idx).min(-1).values - rest).min()), group_gap


def _format_json(obj, indent=0):
    """json with one line per key and lists of numbers kept on one line (readable golden files)."""
    pad = "  " * (indent + 1)
    if isinstance(obj, dict):
        items = [f"{pad}{json.dumps(k)}: {_format_json(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(obj, list) and any(isinstance(v, (dict, list)) for v in obj):
        return "[\n" + ",\n".join(pad + _format_json(v, indent + 1) for v in obj) + "\n" + "  " * indent + "]"
    return json.dumps(obj)


def _router_stats(cfg, w, tokens):
    """Per E layer: how many token selections the correction bias / group limit change, and the
    smallest gap between the k-th and (k+1)-th selection score (robustness to fp32 routing)."""
    stats, trace_inputs = [], {}
    orig_moe = ref.moe

    def spy(cfg_, w_, p, u):
        trace_inputs[p] = u
        return orig_moe(cfg_, w_, p, u)
    ref.moe = spy
    try:
        ref.forward(cfg, w, tokens)
    finally:
        ref.moe = orig_moe
    for p, u in trace_inputs.items():
        gate, bias = w[p + "gate.weight"], w[p + "gate.e_score_correction_bias"]
        idx, _ = ref.route(cfg, gate, bias, u)
        no_bias, _ = ref.route(cfg, gate, torch.zeros_like(bias), u)
        flat = copy.copy(cfg)
        flat.n_group, flat.topk_group = 1, 1
        no_group, _ = ref.route(flat, gate, bias, u)
        gaps = _selection_gaps(cfg, torch.sigmoid(u @ gate.T) + bias, idx)
        same = lambda a, b: (a.sort(-1).values == b.sort(-1).values).all(-1)  # noqa: E731
        stats.append({
            "layer": int(p.split(".")[1]),
            "bias_changed_selections": int((~same(idx, no_bias)).sum()),
            "group_limit_changed_selections": int((~same(idx, no_group)).sum()),
            "min_expert_gap": gaps[0],
            "min_group_gap": gaps[1],
        })
    return stats


_LINEAR_NAMES = ("in_proj", "out_proj", "q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj",
                 "fc1_latent_proj", "fc2_latent_proj")


def quantize_case(case, tensors):
    """ModelOpt-quantizes the Linear weights of a case (modelopt_ref) and adds KV-cache scales.
    Returns (tensors, dtype tags, quantized module names)."""
    q = case["quant"]
    linear = {n[: -len(".weight")] for n in tensors
              if n == "lm_head.weight" or (n.endswith(".weight") and n.split(".")[-2] in _LINEAR_NAMES)}
    # quantize from the stored (bf16) values, as ModelOpt quantizes a loaded BF16 model
    out, tags = modelopt_ref.quantize_tensors(tensors, q["algo"], q["exclude"], linear)
    quantized = sorted(n[: -len(".weight_scale")] for n in out if n.endswith(".weight_scale"))
    if q["kv_scales"]:
        for n in list(out):
            if n.endswith(".mixer.k_proj.weight"):
                out[n[: -len("weight")] + "k_scale"] = torch.tensor(0.0625, dtype=torch.float32)
            if n.endswith(".mixer.v_proj.weight"):
                out[n[: -len("weight")] + "v_scale"] = torch.tensor(0.125, dtype=torch.float32)
    return out, tags, quantized


def write_quant_extras(case, d, raw_dequant, golden):
    """hf_quant_config.json, the value table and one dequantized weight for the bit-exact row test."""
    q = case["quant"]
    if q["hf_quant"]:
        body = {"quant_algo": q["algo"], "kv_cache_quant_algo": "FP8" if q["kv_scales"] else None,
                "exclude_modules": q["exclude"]}
        if q["algo"] in ("NVFP4", "W4A16_NVFP4"):
            body["group_size"] = modelopt_ref.GROUP
        with open(os.path.join(d, "hf_quant_config.json"), "w") as f:
            json.dump({"producer": {"name": "nemotron.cpp reference fixtures"}, "quantization": body}, f, indent=2)
            f.write("\n")
    table = modelopt_ref.E4M3 if q["table"] == "e4m3" else modelopt_ref.E2M1
    np.save(os.path.join(d, q["table"] + "_table.npy"), np.array(table, dtype=np.float32))
    np.save(os.path.join(d, "dequantized.npy"), raw_dequant[q["dequant_tensor"]].numpy().astype(np.float32))
    golden["quant_algo"] = q["algo"]
    golden["dequantized_tensor"] = q["dequant_tensor"]
    golden["table_file"] = q["table"] + "_table.npy"


def golden_for(case, directory):
    """Reads the checkpoint back from disk and computes every golden figure."""
    cfg, w = ref.load_model(directory, F64)
    tokens, prompt, greedy, gap = _pick_prompt(case, cfg, w)
    trace = []
    logits = ref.forward(cfg, w, tokens, mamba_mode="ssd", trace=trace)
    scan = ref.forward(cfg, w, tokens, mamba_mode="scan")
    decode = ref.decode_logits(cfg, w, tokens)
    cut = max(1, len(tokens) // 2 + 1)                       # prefill a part, then continue with the rest
    cache = ref.Cache(cfg)
    split = torch.cat([ref.forward(cfg, w, tokens[:cut], cache), ref.forward(cfg, w, tokens[cut:], cache)]) \
        if cut < len(tokens) else ref.forward(cfg, w, tokens, ref.Cache(cfg))
    _, w32 = ref.load_model(directory, torch.float32)
    logits32 = ref.forward(cfg, w32, tokens)
    greedy_c = ref.greedy_cached(cfg, w, prompt, GREEDY_N)
    if greedy != greedy_c:
        raise AssertionError(f"{case['name']}: greedy with recompute {greedy} != with cache {greedy_c}")
    golden = {
        "tokens": tokens,
        "logits_file": "logits.npy",
        "greedy_prompt": prompt,
        "greedy_n": GREEDY_N,
        "greedy_ids": greedy,
        "greedy_min_top2_gap": gap,
        "decode_max_abs_diff": _max_diff(logits, decode),
        "ssd_vs_scan_max_abs_diff": _max_diff(logits, scan),
        "split_prefill_max_abs_diff": _max_diff(logits, split),
        "float32_max_abs_diff": _max_diff(logits, logits32.double()),
        "logits_abs_max": float(logits.abs().max()),
        "logits_std": float(logits.std()),
        "branch_ratio": [round(o / r, 4) for _, o, r in trace],
    }
    if "E" in cfg.pattern:
        golden["router"] = _router_stats(cfg, w, tokens)
    for key in ("decode_max_abs_diff", "ssd_vs_scan_max_abs_diff", "split_prefill_max_abs_diff"):
        if golden[key] > 1e-9:
            raise AssertionError(f"{case['name']}: {key} = {golden[key]:.3g} (float64 paths must agree)")
    return golden, logits


# ----------------------------------------------------------------------------------------------
# Driver


def write_case(case, out_root):
    d = os.path.join(out_root, case["name"])
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):  # stale files (e.g. shards of an older layout) must not survive
        os.remove(os.path.join(d, f))
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(case["config"], f, indent=2)
        f.write("\n")
    cfg = nemotron_config.load_config(os.path.join(d, "config.json"))
    rng = np.random.default_rng(case["seed"])
    w = make_weights(cfg, rng)
    nemotron_weights.canonicalize(cfg, {("lm_head.weight" if n == "lm_head.weight" else "backbone." + n): t
                                        for n, t in w.items()})  # shape self-check of the generator
    tensors = checkpoint_tensors(case, cfg, w, rng)
    meta = {"format": "pt"}
    tags = None
    if case["quant"]:
        tensors, tags, quantized = quantize_case(case, tensors)
    if case["shards"]:
        safetensors_io.write_sharded(d, tensors, case["shards"], meta)
    else:
        safetensors_io.write_file(os.path.join(d, safetensors_io.SINGLE_NAME), tensors, meta, tags)
    if case["quant"]:
        dtypes = {}
        raw = safetensors_io.read_checkpoint(d, dtypes)
        extras = {}
        write_quant_extras(case, d, modelopt_ref.dequantize_checkpoint(
            {"algo": case["quant"]["algo"], "exclude": case["quant"]["exclude"]}, raw, dtypes), extras)
        extras["quantized_modules"] = quantized
    golden, logits = golden_for(case, d)
    if case["quant"]:
        golden.update(extras)
    np.save(os.path.join(d, "logits.npy"), logits.to(torch.float32).numpy())
    with open(os.path.join(d, "golden.json"), "w") as f:
        f.write(_format_json(golden) + "\n")
    return golden


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output root (one directory per case)")
    ap.add_argument("--case", action="append", help="only these cases (repeatable)")
    ap.add_argument("--compare", help="after writing, compare with this committed fixture root")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)  # deterministic summation order, and the machine is shared
    cases = [c for c in fixture_cases.all_cases() if not args.case or c["name"] in args.case]
    if args.case and len(cases) != len(args.case):
        ap.error(f"unknown case in {args.case}")
    for case in cases:
        g = write_case(case, args.out)
        if not args.quiet:
            print(f"{case['name']}: T={len(g['tokens'])} greedy={g['greedy_ids']} "
                  f"|logits|max={g['logits_abs_max']:.2f} ssd-scan={g['ssd_vs_scan_max_abs_diff']:.1e} "
                  f"decode={g['decode_max_abs_diff']:.1e} f32={g['float32_max_abs_diff']:.1e} "
                  f"gap={g['greedy_min_top2_gap']:.3f}\n  branch_ratio={g['branch_ratio']}"
                  + (f"\n  router={g['router']}" if "router" in g else ""))
    if args.compare:
        import compare_fixtures
        return compare_fixtures.compare_roots(args.compare, args.out, [c["name"] for c in cases])
    return 0


if __name__ == "__main__":
    sys.exit(main())
