"""Independent reference forward pass of NemotronHForCausalLM (spec sections 2-10).

Plain differentiable torch: every function takes the canonical weight dict `w` (see nemotron_weights)
and activations in one compute dtype (float64 for golden data, float32 for training). Shapes are for
one unbatched sequence of T tokens.

Mamba-2 has two interchangeable paths: `ssd` (chunked state-space-duality algorithm of spec 5.7,
used for prefill) and `scan` (the token-by-token recurrence of spec 5.4, used for decode). A Cache
carries the per-sequence decode state: conv window + SSM state per Mamba layer, K/V per attention
layer (MLP and MoE layers are stateless).
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import modelopt_ref  # noqa: E402
import nemotron_config  # noqa: E402
import nemotron_weights  # noqa: E402
import safetensors_io  # noqa: E402


# ----------------------------------------------------------------------------------------------
# Loading


def load_model(directory, dtype=torch.float64):
    """Returns (config, canonical weights up-cast to dtype) of a checkpoint directory.
    ModelOpt FP8 / NVFP4 weights are dequantized exactly first (modelopt_ref)."""
    cfg = nemotron_config.load_config(os.path.join(directory, "config.json"))
    dtypes = {}
    raw = safetensors_io.read_checkpoint(directory, dtypes)
    qcfg = modelopt_ref.load_quant_config(directory)
    if qcfg is not None or any(t in ("F8_E4M3", "U8") for t in dtypes.values()):
        raw = modelopt_ref.dequantize_checkpoint(qcfg, raw, dtypes)
    return cfg, nemotron_weights.canonicalize(cfg, raw, dtype)


class NemotronH(torch.nn.Module):
    """nn.Module wrapper so the same math can be trained: weights become Parameters."""

    def __init__(self, cfg, weights):
        super().__init__()
        self.cfg = cfg
        self.names = list(weights)
        for n, t in weights.items():
            self.register_parameter(n.replace(".", "__"), torch.nn.Parameter(t.clone()))

    def weights(self):
        return {n: getattr(self, n.replace(".", "__")) for n in self.names}

    def forward(self, tokens, cache=None, mamba_mode="ssd"):
        return forward(self.cfg, self.weights(), tokens, cache, mamba_mode)


# ----------------------------------------------------------------------------------------------
# Shared pieces


def rms_norm(x, weight, eps):
    # x: [T, H] -> w * x / sqrt(mean(x^2) + eps); no +1 offset on the weight (spec 3)
    return weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


def relu2(x):
    return torch.relu(x).pow(2)


def mlp(u, up, down):
    # u: [T, D_x]; up: [I, D_x]; down: [D_x, I]  (non-gated relu^2 MLP, spec 7)
    return relu2(u @ up.T) @ down.T


class Cache:
    """Per-sequence decode state. conv[l]: [K-1, d_conv] last pre-conv xBC rows; ssm[l]: [n_m, P, N];
    k[l], v[l]: [T_past, n_kv, d_h]. n_past counts the tokens already consumed."""

    def __init__(self, cfg, dtype=torch.float64):
        self.n_past = 0
        self.conv, self.ssm, self.k, self.v = {}, {}, {}, {}
        for l, c in enumerate(cfg.pattern):
            if c == "M":
                self.conv[l] = torch.zeros(cfg.conv_kernel - 1, cfg.d_conv, dtype=dtype)
                self.ssm[l] = torch.zeros(cfg.mamba_num_heads, cfg.mamba_head_dim, cfg.ssm_state_size, dtype=dtype)
            elif c == "*":
                self.k[l] = torch.zeros(0, cfg.num_key_value_heads, cfg.head_dim, dtype=dtype)
                self.v[l] = torch.zeros(0, cfg.num_key_value_heads, cfg.head_dim, dtype=dtype)


# ----------------------------------------------------------------------------------------------
# Mamba-2 (spec 5)


def causal_conv(xBC, weight, bias, conv_state):
    """xBC: [T, d_conv] pre-conv rows; weight: [d_conv, 1, K]; conv_state: [K-1, d_conv] (previous
    inputs, zeros for a fresh sequence). Returns (silu(conv + bias) [T, d_conv], new state [K-1, d_conv])."""
    K = weight.shape[-1]
    T = xBC.shape[0]
    full = torch.cat([conv_state, xBC], 0)  # [K-1+T, d_conv]
    # w[c, K-1] multiplies the current token, w[c, 0] the one K-1 steps back
    acc = sum(weight[:, 0, j] * full[j:j + T] for j in range(K))
    if bias is not None:
        acc = acc + bias
    new_state = full[full.shape[0] - (K - 1):] if K > 1 else full[:0]
    return F.silu(acc), new_state


def ssm_scan(x, dt, A, B, C, state):
    """Sequential recurrence (spec 5.4). x: [T, n_m, P]; dt (=Delta): [T, n_m]; A: [n_m];
    B, C: [T, n_m, N] (already expanded from groups to heads); state: [n_m, P, N].
    Returns (y [T, n_m, P] without the D skip, final state)."""
    ys = []
    for t in range(x.shape[0]):
        decay = torch.exp(dt[t] * A)[:, None, None]                     # [n_m,1,1]
        state = decay * state + (dt[t][:, None, None] * x[t][:, :, None] * B[t][:, None, :])
        ys.append(torch.einsum("hpn,hn->hp", state, C[t]))
    return torch.stack(ys), state


def ssm_ssd(x, dt, A, B, C, state, chunk_size):
    """Chunked SSD (spec 5.7), same contract as ssm_scan. The sequence is zero-padded to a multiple of
    chunk_size; padded positions have Delta = 0 so they neither decay nor feed the state."""
    T, n_m, P = x.shape
    Q = chunk_size
    pad = (-T) % Q
    if pad:
        x = torch.cat([x, x.new_zeros(pad, n_m, P)])
        dt = torch.cat([dt, dt.new_zeros(pad, n_m)])
        B = torch.cat([B, B.new_zeros(pad, *B.shape[1:])])
        C = torch.cat([C, C.new_zeros(pad, *C.shape[1:])])
    nc = x.shape[0] // Q
    x, dt = x.reshape(nc, Q, n_m, P), dt.reshape(nc, Q, n_m)
    B, C = B.reshape(nc, Q, n_m, -1), C.reshape(nc, Q, n_m, -1)
    a = dt * A                                                           # [nc,Q,n_m]
    s = torch.cumsum(a, dim=1)                                           # prefix sums inside each chunk
    # L[c,t,s,h] = exp(s_t - s_s) for s <= t, else 0 (mask before exp: no inf*0)
    diff = s[:, :, None, :] - s[:, None, :, :]                           # [nc,Q,Q,n_m]
    causal = torch.tril(torch.ones(Q, Q, dtype=torch.bool))[None, :, :, None]
    L = torch.exp(torch.where(causal, diff, torch.full_like(diff, -math.inf)))
    CB = torch.einsum("ctHn,csHn->ctsH", C, B)                           # [nc,Q,Q,n_m]
    y_diag = torch.einsum("ctsh,csh,cshp->cthp", CB * L, dt, x)
    decay_to_end = torch.exp(s[:, -1:, :] - s)                           # [nc,Q,n_m]
    U = torch.einsum("csh,cshp,cshn->chpn", decay_to_end * dt, x, B)    # chunk contributions
    chunk_decay = torch.exp(s[:, -1, :])                                 # [nc,n_m]
    before = []
    for c in range(nc):
        before.append(state)
        state = chunk_decay[c][:, None, None] * state + U[c]
    before = torch.stack(before)                                         # [nc,n_m,P,N] state entering chunk c
    y_off = torch.exp(s)[..., None] * torch.einsum("cthn,chpn->cthp", C, before)
    y = (y_diag + y_off).reshape(nc * Q, n_m, P)[:T]
    return y, state


def mamba_mixer(cfg, w, p, u, cache, l, mode):
    """u: [T, H] normed input -> [T, H]. p: tensor-name prefix of the mixer."""
    T = u.shape[0]
    n_m, P, N, G, d_in = cfg.mamba_num_heads, cfg.mamba_head_dim, cfg.ssm_state_size, cfg.n_groups, cfg.d_inner
    zxbcdt = u @ w[p + "in_proj.weight"].T                               # [T, d_proj]
    z = zxbcdt[:, :d_in]                                                  # gate, never convolved
    xBC = zxbcdt[:, d_in:d_in + cfg.d_conv]
    dt_raw = zxbcdt[:, d_in + cfg.d_conv:]                                # [T, n_m]
    conv_state = cache.conv[l] if cache is not None else u.new_zeros(cfg.conv_kernel - 1, cfg.d_conv)
    xBC, conv_state = causal_conv(xBC, w[p + "conv1d.weight"], w.get(p + "conv1d.bias"), conv_state)
    x = xBC[:, :d_in].reshape(T, n_m, P)
    Bg = xBC[:, d_in:d_in + G * N].reshape(T, G, N)
    Cg = xBC[:, d_in + G * N:].reshape(T, G, N)
    heads_per_group = n_m // G                                           # g(h) = h // (n_m/G)
    B = Bg.repeat_interleave(heads_per_group, dim=1)                     # [T, n_m, N]
    C = Cg.repeat_interleave(heads_per_group, dim=1)
    dt = F.softplus(dt_raw + w[p + "dt_bias"], beta=1.0, threshold=20.0)  # [T, n_m]
    lo, hi = cfg.time_step_limit
    if lo > 0.0 or math.isfinite(hi):
        dt = dt.clamp(min=lo, max=hi)
    A = -torch.exp(w[p + "A_log"])
    state = cache.ssm[l] if cache is not None else u.new_zeros(n_m, P, N)
    if mode == "scan":
        y, state = ssm_scan(x, dt, A, B, C, state)
    else:
        y, state = ssm_ssd(x, dt, A, B, C, state, cfg.chunk_size)
    y = y + w[p + "D"][None, :, None] * x                                 # D skip with post-conv x
    y = y.reshape(T, d_in) * F.silu(z)                                    # gate before the norm
    yg = y.reshape(T, G, d_in // G)                                       # group RMSNorm, group = d_in/G
    yg = yg * torch.rsqrt(yg.pow(2).mean(-1, keepdim=True) + cfg.layer_norm_epsilon)
    y = yg.reshape(T, d_in) * w[p + "norm.weight"]
    if cache is not None:
        cache.conv[l], cache.ssm[l] = conv_state, state
    return y @ w[p + "out_proj.weight"].T


# ----------------------------------------------------------------------------------------------
# Attention (spec 6): no positional encoding, GQA with contiguous query-head blocks


def attention(cfg, w, p, u, cache, l):
    T = u.shape[0]
    n_h, n_kv, d_h = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
    q = (u @ w[p + "q_proj.weight"].T).reshape(T, n_h, d_h)
    k = (u @ w[p + "k_proj.weight"].T).reshape(T, n_kv, d_h)
    v = (u @ w[p + "v_proj.weight"].T).reshape(T, n_kv, d_h)
    n_past = 0
    if cache is not None:
        n_past = cache.k[l].shape[0]
        k = torch.cat([cache.k[l], k])
        v = torch.cat([cache.v[l], v])
        cache.k[l], cache.v[l] = k, v
    rep = n_h // n_kv                                                     # query head i -> kv head i // rep
    k = k.repeat_interleave(rep, dim=1)                                   # [S, n_h, d_h]
    v = v.repeat_interleave(rep, dim=1)
    scores = torch.einsum("thd,shd->hts", q, k) / math.sqrt(d_h)         # [n_h, T, S]
    S = k.shape[0]
    allowed = torch.arange(S)[None, :] <= (torch.arange(T)[:, None] + n_past)
    scores = scores.masked_fill(~allowed[None], -math.inf)
    probs = torch.softmax(scores, dim=-1)
    out = torch.einsum("hts,shd->thd", probs, v).reshape(T, n_h * d_h)
    return out @ w[p + "o_proj.weight"].T


# ----------------------------------------------------------------------------------------------
# MoE (spec 8, 9.1)


def route(cfg, gate_w, bias, u):
    """Router: returns (selected expert ids [T, k], weights [T, k]). All in the compute dtype (the
    engine uses fp32; golden data float64). Bias only steers the selection (DeepSeek-V3 noaux_tc)."""
    T, E = u.shape[0], cfg.n_routed_experts
    scores = torch.sigmoid(u @ gate_w.T)                                  # [T, E]
    biased = scores + bias
    ng, per = cfg.n_group, E // cfg.n_group
    group_score = biased.reshape(T, ng, per).topk(min(2, per), dim=-1).values.sum(-1)  # top-2 sum
    keep = group_score.topk(cfg.topk_group, dim=-1).indices               # [T, topk_group]
    group_mask = torch.zeros(T, ng, dtype=torch.bool)
    group_mask[torch.arange(T)[:, None], keep] = True
    expert_mask = group_mask[:, :, None].expand(T, ng, per).reshape(T, E)
    masked = biased.masked_fill(~expert_mask, -math.inf)
    idx = masked.topk(cfg.num_experts_per_tok, dim=-1).indices            # [T, k]
    wts = scores.gather(1, idx)                                           # unbiased sigmoid weights
    if cfg.norm_topk_prob:
        wts = wts / (wts.sum(-1, keepdim=True) + 1e-20)
    return idx, wts * cfg.routed_scaling_factor


def moe(cfg, w, p, u):
    idx, wts = route(cfg, w[p + "gate.weight"], w[p + "gate.e_score_correction_bias"], u)
    xr = u @ w[p + "fc1_latent_proj.weight"].T if cfg.moe_latent_size else u   # [T, D_x]
    up, down = w[p + "experts.up_proj"], w[p + "experts.down_proj"]        # [E,I_e,D_x], [E,D_x,I_e]
    routed = torch.zeros_like(xr)
    for slot in range(idx.shape[1]):
        e = idx[:, slot]                                                   # [T]
        h = relu2(torch.einsum("tx,tix->ti", xr, up[e]))
        routed = routed + wts[:, slot:slot + 1] * torch.einsum("ti,txi->tx", h, down[e])
    if cfg.moe_latent_size:
        routed = routed @ w[p + "fc2_latent_proj.weight"].T
    shared = mlp(u, w[p + "shared_experts.up_proj.weight"], w[p + "shared_experts.down_proj.weight"])
    return routed + shared


# ----------------------------------------------------------------------------------------------
# Whole model


def mixer(cfg, w, l, u, cache, mode):
    p, c = f"layers.{l}.mixer.", cfg.pattern[l]
    if c == "M":
        return mamba_mixer(cfg, w, p, u, cache, l, mode)
    if c == "*":
        return attention(cfg, w, p, u, cache, l)
    if c == "-":
        return mlp(u, w[p + "up_proj.weight"], w[p + "down_proj.weight"])
    return moe(cfg, w, p, u)


def forward(cfg, w, tokens, cache=None, mamba_mode="ssd", trace=None):
    """tokens: list/1-D tensor of T ids -> logits [T, V]. With a cache, continues the sequence it
    holds and updates it. trace (a list) receives (layer, |mixer out|, |residual in|) if given."""
    tokens = torch.as_tensor(tokens, dtype=torch.long)
    h = w["embeddings.weight"][tokens]                                   # [T, H], no scaling
    for l in range(cfg.num_layers):
        u = rms_norm(h, w[f"layers.{l}.norm.weight"], cfg.layer_norm_epsilon)
        o = mixer(cfg, w, l, u, cache, mamba_mode)
        if trace is not None:
            trace.append((l, float(o.detach().norm()), float(h.detach().norm())))
        h = h + o
    if cache is not None:
        cache.n_past += len(tokens)
    z = rms_norm(h, w["norm_f.weight"], cfg.layer_norm_epsilon)
    return z @ w["lm_head.weight"].T


def argmax_lowest(logits_row):
    """Greedy pick with ties broken towards the lowest token id."""
    best = logits_row.max()
    return int(torch.nonzero(logits_row == best)[0, 0])


def greedy_recompute(cfg, w, prompt, n):
    """n greedy tokens, recomputing the whole sequence for every step (no cache)."""
    seq = list(prompt)
    for _ in range(n):
        seq.append(argmax_lowest(forward(cfg, w, seq)[-1]))
    return seq[len(prompt):]


def greedy_cached(cfg, w, prompt, n, dtype=torch.float64):
    """n greedy tokens: SSD prefill of the prompt, then one-token decode steps (scan) with the cache."""
    cache = Cache(cfg, dtype)
    logits = forward(cfg, w, prompt, cache, "ssd")[-1]
    out = []
    for _ in range(n):
        out.append(argmax_lowest(logits))
        logits = forward(cfg, w, [out[-1]], cache, "scan")[-1]
    return out


def decode_logits(cfg, w, tokens, dtype=torch.float64):
    """Logits of every position computed one token at a time through the decode cache: [T, V]."""
    cache = Cache(cfg, dtype)
    return torch.cat([forward(cfg, w, [t], cache, "scan") for t in tokens])
