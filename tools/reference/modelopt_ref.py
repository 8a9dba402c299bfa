"""ModelOpt FP8 / NVFP4 checkpoints (spec section 13): dequantization for the reference, and a small
quantizer that writes such checkpoints for the golden fixtures.

Written from the spec, not from the C++ engine:
  FP8    <m>.weight F8_E4M3 [out, in], <m>.weight_scale F32 [] (FP8_PER_CHANNEL_PER_TOKEN: [out]),
         <m>.input_scale F32 []; W = e4m3(code) * weight_scale.
  NVFP4  <m>.weight U8 [out, in/2] (low nibble = even column), <m>.weight_scale F8_E4M3 [out, in/16],
         <m>.weight_scale_2 F32 [], <m>.input_scale F32 [] (absent for W4A16_NVFP4);
         W = e2m1(code) * e4m3(block scale) * weight_scale_2.
The description comes from config.json `quantization_config` (quant_method "modelopt", quant_algo,
ignore) or hf_quant_config.json ({"quantization": {quant_algo, exclude_modules}}); excluded modules
(fnmatch patterns) stay unquantized. A dequantized weight is the float32 value of the exact product
(every product above is exact in float64, so this is one correctly rounded multiplication).
Activations are not quantized: input_scale / k_scale / v_scale are checked and dropped.
"""
import fnmatch
import json
import math
import os

import torch

ALGOS = ("FP8", "FP8_PER_CHANNEL_PER_TOKEN", "NVFP4", "W4A16_NVFP4")
GROUP = 16

# float8_e4m3fn: 1 sign bit, 4 exponent bits (bias 7), 3 mantissa bits; exponent 0 = subnormals
# (m/8 * 2^-6); no infinities; S.1111.111 is NaN, so the largest value is 1.75 * 2^8 = 448.


def _e4m3_value(code):
    sign = -1.0 if code & 0x80 else 1.0
    exp, man = (code >> 3) & 0xF, code & 0x7
    if exp == 0xF and man == 0x7:
        return math.nan
    if exp == 0:
        return sign * (man / 8.0) * 2.0 ** -6
    return sign * (1.0 + man / 8.0) * 2.0 ** (exp - 7)


E4M3 = [_e4m3_value(c) for c in range(256)]
# E2M1 magnitudes listed by the spec for codes 0..7; bit 3 is the sign.
E2M1 = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0] + [-v for v in (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)]

_E4M3_T = torch.tensor(E4M3, dtype=torch.float64)
_E2M1_T = torch.tensor(E2M1, dtype=torch.float64)


# ----------------------------------------------------------------------------------------------
# Configuration


def load_quant_config(directory):
    """Returns {"algo", "exclude", "kv"} or None for an unquantized checkpoint."""
    with open(os.path.join(directory, "config.json")) as f:
        cfg = json.load(f)
    q = cfg.get("quantization_config")
    hf_path = os.path.join(directory, "hf_quant_config.json")
    if q is None and os.path.exists(hf_path):
        with open(hf_path) as f:
            q = json.load(f)
    if q is None:
        return None
    if "quant_method" in q and q["quant_method"] != "modelopt":
        raise ValueError(f"quant_method {q['quant_method']!r} is not modelopt")
    if "quantization" in q:
        q = q["quantization"]
    algo = str(q["quant_algo"]).upper()
    if algo not in ALGOS:
        raise ValueError(f"unsupported quant_algo {algo!r}")
    exclude = list(q.get("exclude_modules") or []) + list(q.get("ignore") or [])
    return {"algo": algo, "exclude": exclude, "kv": q.get("kv_cache_quant_algo")}


def is_excluded(qcfg, module):
    names = [module]
    for a, b in (("backbone.", "model."), ("model.", "backbone.")):
        if module.startswith(a):
            names.append(b + module[len(a):])
    return any(fnmatch.fnmatchcase(n, p) for n in names for p in qcfg["exclude"])


# ----------------------------------------------------------------------------------------------
# Dequantization


def _scalar(t, name):
    if t.dtype not in (torch.float32, torch.float16, torch.bfloat16) or t.numel() != 1 or t.dim() > 1:
        raise ValueError(f"{name}: expected a float scalar, found {t.dtype} {list(t.shape)}")
    v = float(t.reshape(()).double())
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name}: scale {v} is not finite and positive")
    return v


def e4m3_decode(codes):
    return _E4M3_T[codes.long()]


def unpack_e2m1(packed):
    """[out, in/2] uint8 -> [out, in] float64 E2M1 values, low nibble first."""
    lo, hi = _E2M1_T[(packed & 0x0F).long()], _E2M1_T[(packed >> 4).long()]
    return torch.stack([lo, hi], dim=-1).reshape(packed.shape[0], packed.shape[1] * 2)


def dequantize_weight(qcfg, raw, dtypes, module):
    """The float32 dequantized weight of one quantized module (scales validated)."""
    w, tag = raw[module + ".weight"], dtypes[module + ".weight"]
    scale = raw[module + ".weight_scale"]
    if qcfg["algo"] in ("FP8", "FP8_PER_CHANNEL_PER_TOKEN"):
        if tag != "F8_E4M3":
            raise ValueError(f"{module}.weight: dtype {tag}, expected F8_E4M3")
        vals = e4m3_decode(w)
        if qcfg["algo"] == "FP8":
            s = torch.tensor(_scalar(scale, module + ".weight_scale"), dtype=torch.float64)
        else:
            s = scale.double().reshape(-1, 1)
            if s.shape[0] != w.shape[0] or not bool(((s > 0) & torch.isfinite(s)).all()):
                raise ValueError(f"{module}.weight_scale: bad per-channel scale")
        return (vals * s).to(torch.float32)
    if tag != "U8" or dtypes[module + ".weight_scale"] != "F8_E4M3":
        raise ValueError(f"{module}: NVFP4 expects U8 weight and F8_E4M3 block scales")
    vals = unpack_e2m1(w)                                    # [out, in]
    out, n_in = vals.shape
    if list(scale.shape) != [out, n_in // GROUP]:
        raise ValueError(f"{module}.weight_scale: shape {list(scale.shape)}, expected {[out, n_in // GROUP]}")
    block = e4m3_decode(scale)
    if not bool((torch.isfinite(block) & (block >= 0)).all()) or bool((scale >= 0x80).any()):
        raise ValueError(f"{module}.weight_scale: NaN or negative block scale")
    s2 = _scalar(raw[module + ".weight_scale_2"], module + ".weight_scale_2")
    return (vals * block.repeat_interleave(GROUP, dim=1) * s2).to(torch.float32)


def dequantize_checkpoint(qcfg, raw, dtypes):
    """{checkpoint name: tensor} with quantized modules replaced by their float32 weights and every
    scale tensor removed. Quantized modules are those with a weight_scale."""
    out = dict(raw)
    modules = [n[: -len(".weight_scale")] for n in raw if n.endswith(".weight_scale")]
    for m in modules:
        if qcfg is None:
            raise ValueError(f"{m}: quantized weight without a ModelOpt description")
        if is_excluded(qcfg, m):
            raise ValueError(f"{m}: excluded module stored quantized")
        out[m + ".weight"] = dequantize_weight(qcfg, raw, dtypes, m)
        for s in (".weight_scale", ".weight_scale_2", ".input_scale"):
            if m + s in out:
                if s != ".weight_scale":
                    _scalar(out[m + s], m + s)
                del out[m + s]
    for n in list(out):
        if n.endswith((".k_scale", ".v_scale")):      # FP8 KV-cache scales: the cache is not quantized here
            _scalar(out[n], n)
            del out[n]
        elif n.endswith((".input_scale", ".weight_scale_2")):
            raise ValueError(f"{n}: scale without a quantized weight")
    return out


# ----------------------------------------------------------------------------------------------
# Quantization (fixtures): round to nearest, ties to the even code, saturating


def _nearest_code(x, values):
    """x: float64 tensor of magnitudes; values: ascending non-negative float64 [n] -> codes 0..n-1."""
    d = (x.unsqueeze(-1) - values).abs()
    best = d.min(-1, keepdim=True).values
    codes = torch.arange(values.numel())
    score = (d == best).long() * (2 + (codes % 2 == 0).long())   # among ties prefer an even code
    return score.argmax(-1)


def _signed_code(x, values, sign_bit):
    codes = _nearest_code(x.abs(), values)
    neg = (x < 0) & (codes != 0)
    return torch.where(neg, codes | sign_bit, codes).to(torch.uint8)


def fp8_encode(x):
    return _signed_code(x.clamp(-448.0, 448.0), _E4M3_T[:127], 0x80)


def e2m1_encode(x):
    return _signed_code(x.clamp(-6.0, 6.0), _E2M1_T[:8], 0x8)


def _f32(v):
    return float(torch.tensor(v, dtype=torch.float32))


def quantize_fp8(w):
    """w: float [out, in] -> (codes uint8, weight_scale float32 scalar tensor)."""
    w = w.double()
    scale = _f32(float(w.abs().max()) / 448.0) or 1.0
    return fp8_encode(w / scale), torch.tensor(scale, dtype=torch.float32)


def quantize_nvfp4(w):
    """w: float [out, in] -> (packed uint8 [out, in/2], block scales uint8 E4M3 [out, in/16],
    weight_scale_2 float32 scalar tensor)."""
    w = w.double()
    out, n_in = w.shape
    s2 = _f32(float(w.abs().max()) / (6.0 * 448.0)) or 1.0
    blocks = w.reshape(out, n_in // GROUP, GROUP)
    bs = fp8_encode(blocks.abs().amax(-1) / 6.0 / s2)           # [out, in/16]
    bval = e4m3_decode(bs)
    denom = torch.where(bval > 0, bval, torch.ones_like(bval)) * s2
    codes = e2m1_encode(blocks / denom.unsqueeze(-1)).reshape(out, n_in)
    packed = (codes[:, 0::2] | (codes[:, 1::2] << 4)).to(torch.uint8)
    return packed, bs, torch.tensor(s2, dtype=torch.float32)


def quantize_tensors(tensors, algo, exclude, linear_modules):
    """Replaces the weights of `linear_modules` (not excluded) by ModelOpt tensors.
    Returns ({name: tensor}, {name: dtype tag for uint8 tensors})."""
    qcfg = {"algo": algo, "exclude": exclude}
    out, tags = {}, {}
    for name, t in tensors.items():
        module = name[: -len(".weight")] if name.endswith(".weight") else None
        if module is None or module not in linear_modules or is_excluded(qcfg, module):
            out[name] = t
            continue
        if algo == "FP8":
            codes, scale = quantize_fp8(t)
            out[name], tags[name] = codes, "F8_E4M3"
            out[module + ".weight_scale"] = scale
            out[module + ".input_scale"] = torch.tensor(1.0, dtype=torch.float32)
        else:
            packed, bs, s2 = quantize_nvfp4(t)
            out[name], tags[name] = packed, "U8"
            out[module + ".weight_scale"], tags[module + ".weight_scale"] = bs, "F8_E4M3"
            out[module + ".weight_scale_2"] = s2
            if algo == "NVFP4":
                out[module + ".input_scale"] = torch.tensor(1.0, dtype=torch.float32)
    return out, tags
