"""config.json of NemotronHForCausalLM -> a flat NemotronConfig (spec section 1.1).

Every field the forward pass needs, with the aliases older and newer checkpoints use. Python's json
module already reads the non-standard literal `Infinity`; the transformers-5 spelling
{"__float__": "Infinity"} is decoded here.
"""
import json
import math
from dataclasses import dataclass
from typing import Optional, Tuple

# layers_block_type list entries -> pattern characters
_BLOCK_CHARS = {
    "mamba": "M", "linear_attention": "M",
    "attention": "*", "full_attention": "*",
    "mlp": "-",
    "moe": "E",
}


@dataclass
class NemotronConfig:
    pattern: str                  # one char per layer: M mamba, * attention, - mlp, E moe
    hidden_size: int              # H
    vocab_size: int               # V
    layer_norm_epsilon: float
    tie_word_embeddings: bool
    # attention
    num_attention_heads: int      # n_h
    num_key_value_heads: int      # n_kv
    head_dim: int                 # d_h
    # mlp
    intermediate_size: object     # int or per-MLP-layer list
    mlp_hidden_act: str
    # mamba
    mamba_num_heads: int          # n_m
    mamba_head_dim: int           # P
    ssm_state_size: int           # N
    n_groups: int                 # G
    conv_kernel: int              # K
    chunk_size: int
    time_step_limit: Tuple[float, float]
    use_conv_bias: bool
    # moe
    n_routed_experts: int         # E
    num_experts_per_tok: int      # k
    moe_intermediate_size: int
    moe_shared_expert_intermediate_size: int
    n_group: int
    topk_group: int
    norm_topk_prob: bool
    routed_scaling_factor: float
    moe_latent_size: Optional[int]

    @property
    def num_layers(self):
        return len(self.pattern)

    @property
    def d_inner(self):  # d_in = n_m * P; `expand` is deliberately ignored (spec 16.11)
        return self.mamba_num_heads * self.mamba_head_dim

    @property
    def d_conv(self):   # conv channels: x | B | C
        return self.d_inner + 2 * self.n_groups * self.ssm_state_size

    @property
    def d_proj(self):   # in_proj rows: z | xBC | dt
        return 2 * self.d_inner + 2 * self.n_groups * self.ssm_state_size + self.mamba_num_heads


def _first(d, *keys, default=None):
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return default


def _as_float(v):
    if isinstance(v, dict) and "__float__" in v:
        return float(v["__float__"])  # float("Infinity") works
    return float(v)


def _pattern(d):
    if isinstance(d.get("hybrid_override_pattern"), str):
        return d["hybrid_override_pattern"]
    blocks = d.get("layers_block_type")
    if isinstance(blocks, list):
        out = []
        for b in blocks:
            if b not in _BLOCK_CHARS:
                raise ValueError(f"layers_block_type: unknown block {b!r} (expected one of {sorted(_BLOCK_CHARS)})")
            out.append(_BLOCK_CHARS[b])
        return "".join(out)
    raise ValueError("config has neither hybrid_override_pattern (str) nor layers_block_type (list)")


def config_from_dict(d):
    pattern = _pattern(d)
    bad = set(pattern) - set("M*-E")
    if bad:
        raise ValueError(f"pattern contains unknown layer characters {sorted(bad)}")
    H = int(d.get("hidden_size", 4096))
    n_h = int(d.get("num_attention_heads", 32))
    n_kv = d.get("num_key_value_heads", 8)
    n_kv = n_h if n_kv is None else int(n_kv)
    head_dim = _first(d, "head_dim", "attention_head_dim")
    head_dim = H // n_h if head_dim is None else int(head_dim)
    tsl = d.get("time_step_limit", _first(d, "mamba_dt_limit", default=[0.0, math.inf]))
    tsl = (_as_float(tsl[0]), _as_float(tsl[1]))
    cfg = NemotronConfig(
        pattern=pattern,
        hidden_size=H,
        vocab_size=int(d.get("vocab_size", 131072)),
        layer_norm_epsilon=float(_first(d, "layer_norm_epsilon", "rms_norm_eps", default=1e-5)),
        tie_word_embeddings=bool(d.get("tie_word_embeddings", False)),
        num_attention_heads=n_h,
        num_key_value_heads=n_kv,
        head_dim=head_dim,
        intermediate_size=d.get("intermediate_size", 21504),
        mlp_hidden_act=_first(d, "mlp_hidden_act", "hidden_act", default="relu2"),
        mamba_num_heads=int(d.get("mamba_num_heads", 128)),
        mamba_head_dim=int(d.get("mamba_head_dim", 64)),
        ssm_state_size=int(d.get("ssm_state_size", 128)),
        n_groups=int(_first(d, "n_groups", "mamba_n_groups", default=8)),
        conv_kernel=int(_first(d, "conv_kernel", "mamba_d_conv", default=4)),
        chunk_size=int(_first(d, "chunk_size", "mamba_chunk_size", default=128)),
        time_step_limit=tsl,
        use_conv_bias=bool(_first(d, "use_conv_bias", "mamba_conv_bias", default=True)),
        n_routed_experts=int(_first(d, "n_routed_experts", "num_local_experts", default=8)),
        num_experts_per_tok=int(d.get("num_experts_per_tok", 2)),
        moe_intermediate_size=int(d.get("moe_intermediate_size", 7688)),
        moe_shared_expert_intermediate_size=int(d.get("moe_shared_expert_intermediate_size", 7688)),
        n_group=int(d.get("n_group", 1)),
        topk_group=int(d.get("topk_group", 1)),
        norm_topk_prob=bool(d.get("norm_topk_prob", True)),
        routed_scaling_factor=float(d.get("routed_scaling_factor", 1.0)),
        moe_latent_size=None if d.get("moe_latent_size") is None else int(d["moe_latent_size"]),
    )
    _validate(cfg, d)
    return cfg


def _validate(cfg, d):
    if "num_hidden_layers" in d and d["num_hidden_layers"] is not None and int(d["num_hidden_layers"]) != cfg.num_layers:
        raise ValueError(f"num_hidden_layers={d['num_hidden_layers']} but the pattern has {cfg.num_layers} layers")
    if cfg.mlp_hidden_act != "relu2":
        raise ValueError(f"mlp_hidden_act {cfg.mlp_hidden_act!r} unsupported (expected relu2)")
    if cfg.mamba_num_heads % cfg.n_groups:
        raise ValueError(f"mamba_num_heads {cfg.mamba_num_heads} not divisible by n_groups {cfg.n_groups}")
    if cfg.num_attention_heads % cfg.num_key_value_heads:
        raise ValueError(f"num_attention_heads {cfg.num_attention_heads} not divisible by "
                         f"num_key_value_heads {cfg.num_key_value_heads}")
    if "E" in cfg.pattern and cfg.n_routed_experts % cfg.n_group:
        raise ValueError(f"n_routed_experts {cfg.n_routed_experts} not divisible by n_group {cfg.n_group}")
    if cfg.conv_kernel < 1:
        raise ValueError(f"conv_kernel must be >= 1, found {cfg.conv_kernel}")


def load_config(path):
    with open(path) as f:
        return config_from_dict(json.load(f))
