"""Checkpoint tensor names -> canonical weight dict (spec sections 4 and 11).

Canonical names drop the `backbone.` / `model.` prefix:
  embeddings.weight [V,H], norm_f.weight [H], lm_head.weight [V,H],
  layers.{l}.norm.weight [H], layers.{l}.mixer.<tensor>  (names of spec section 4)
Routed experts are kept stacked: layers.{l}.mixer.experts.up_proj [E, I_e, D_x] and
experts.down_proj [E, D_x, I_e] whichever layout the checkpoint used. `mtp.*` is ignored.
"""
import re

import torch

_EXPERT_RE = re.compile(r"^(layers\.\d+\.mixer\.experts)\.(\d+)\.(up_proj|down_proj)\.weight$")


def _strip_prefix(name):
    if name.startswith("lm_head."):
        return name
    for p in ("backbone.", "model."):
        if name.startswith(p):
            name = name[len(p):]
            if name.startswith("embedding."):  # early checkpoints: backbone.embedding.weight
                name = "embeddings." + name[len("embedding."):]
            return name
    raise ValueError(f"tensor {name!r}: expected a backbone./model./lm_head. prefix")


def _layer_shapes(cfg, l):
    """Expected canonical tensor shapes of layer l (None in a shape = taken from the tensor)."""
    H, c = cfg.hidden_size, cfg.pattern[l]
    p = f"layers.{l}.mixer."
    out = {f"layers.{l}.norm.weight": [H]}
    if c == "M":
        out.update({p + "in_proj.weight": [cfg.d_proj, H], p + "conv1d.weight": [cfg.d_conv, 1, cfg.conv_kernel],
                    p + "dt_bias": [cfg.mamba_num_heads], p + "A_log": [cfg.mamba_num_heads],
                    p + "D": [cfg.mamba_num_heads], p + "norm.weight": [cfg.d_inner],
                    p + "out_proj.weight": [H, cfg.d_inner]})
        if cfg.use_conv_bias:
            out[p + "conv1d.bias"] = [cfg.d_conv]
    elif c == "*":
        qd, kd = cfg.num_attention_heads * cfg.head_dim, cfg.num_key_value_heads * cfg.head_dim
        out.update({p + "q_proj.weight": [qd, H], p + "k_proj.weight": [kd, H], p + "v_proj.weight": [kd, H],
                    p + "o_proj.weight": [H, qd]})
    elif c == "-":
        out.update({p + "up_proj.weight": [None, H], p + "down_proj.weight": [H, None]})
    elif c == "E":
        E, Ie = cfg.n_routed_experts, cfg.moe_intermediate_size
        Dx = cfg.moe_latent_size or H
        out.update({p + "gate.weight": [E, H], p + "gate.e_score_correction_bias": [E],
                    p + "experts.up_proj": [E, Ie, Dx], p + "experts.down_proj": [E, Dx, Ie],
                    p + "shared_experts.up_proj.weight": [None, H], p + "shared_experts.down_proj.weight": [H, None]})
        if cfg.moe_latent_size:
            out.update({p + "fc1_latent_proj.weight": [Dx, H], p + "fc2_latent_proj.weight": [H, Dx]})
    return out


def expected_shapes(cfg):
    out = {"embeddings.weight": [cfg.vocab_size, cfg.hidden_size], "norm_f.weight": [cfg.hidden_size]}
    if not cfg.tie_word_embeddings:
        out["lm_head.weight"] = [cfg.vocab_size, cfg.hidden_size]
    for l in range(cfg.num_layers):
        out.update(_layer_shapes(cfg, l))
    return out


def canonicalize(cfg, raw, dtype=torch.float64):
    """raw: {checkpoint name: tensor} -> {canonical name: tensor up-cast to dtype}, validated."""
    w, per_expert = {}, {}
    for name, t in raw.items():
        if name.startswith("mtp."):
            continue  # multi-token-prediction head: not part of the trunk forward
        cname = _strip_prefix(name)
        if cname.endswith((".mixer.experts.up_proj.weight", ".mixer.experts.down_proj.weight")):
            if not _EXPERT_RE.match(cname):  # stacked tensor written with a .weight suffix
                cname = cname[: -len(".weight")]
        m = _EXPERT_RE.match(cname)
        if m:
            per_expert.setdefault((m.group(1), m.group(3)), {})[int(m.group(2))] = t
            continue
        if cname in w:
            raise ValueError(f"tensor {name!r} appears twice after prefix normalization")
        w[cname] = t.to(dtype)
    for (base, proj), experts in per_expert.items():
        ids = sorted(experts)
        if ids != list(range(len(ids))):
            raise ValueError(f"{base}.{proj}: expert ids {ids[:8]}... are not 0..E-1")
        w[f"{base}.{proj}"] = torch.stack([experts[e].to(dtype) for e in ids])
    if cfg.tie_word_embeddings and "lm_head.weight" not in w:
        w["lm_head.weight"] = w["embeddings.weight"]
    _check(cfg, w)
    return w


def _check(cfg, w):
    want = expected_shapes(cfg)
    missing = sorted(set(want) - set(w))
    if missing:
        raise ValueError(f"missing tensors: {missing[:6]}")
    extra = sorted(set(w) - set(want) - {"lm_head.weight"})
    if extra:
        raise ValueError(f"unexpected tensors: {extra[:6]}")
    for name, shape in want.items():
        got = list(w[name].shape)
        if len(got) != len(shape) or any(s is not None and s != g for s, g in zip(shape, got)):
            raise ValueError(f"{name}: expected shape {shape}, found {got}")
