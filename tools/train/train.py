"""Trains the embedded NemotronH model on the Brown training split, on the CPU, reproducibly.

  /usr/bin/python3 tools/train/train.py --data build/data --model models/nemotron-brown-tiny --steps 130

The model code is the independent reference (tools/reference/nemotron_ref.NemotronH), float32 with
autograd; this file only adds initialisation, data sampling, the optimiser and checkpoint writing.
Expects tokenizer.json in --model (tools/train/train_bpe.py) and brown-train.txt / brown-heldout.txt
in --data (tools/train/prepare_corpus.py).

Data: the training file is tokenized as one stream with <s> prepended once (like evaluate.py does
with the held-out file). Each step draws --batch windows of --ctx + 1 tokens at offsets from a
seeded torch.Generator; the loss is the mean next-token cross-entropy over the batch. The reference
forward is unbatched, so it is mapped over the batch with functorch.vmap.
Optimiser: AdamW (betas 0.9/0.95, weight decay on matrices only), linear warmup, cosine decay to
10% of the peak LR, gradient norm clipped to 1. torch.manual_seed(seed), 2 threads.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F
from functorch import vmap  # torch 1.13 (Debian); torch.func.vmap in later versions

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import bpe_tokenizer  # noqa: E402
import nemotron_config  # noqa: E402
import nemotron_ref  # noqa: E402
import nemotron_weights  # noqa: E402
import safetensors_io  # noqa: E402

# The embedded dense model (pattern must contain M, * and -).
DENSE_CONFIG = {
    "architectures": ["NemotronHForCausalLM"],
    "model_type": "nemotron_h",
    "tie_word_embeddings": False,
    "attention_bias": False,
    "mlp_bias": False,
    "use_bias": False,
    "use_conv_bias": True,
    "residual_in_fp32": False,
    "mamba_hidden_act": "silu",
    "layer_norm_epsilon": 1e-05,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "pad_token_id": 0,
    "max_position_embeddings": 4096,
    "hybrid_override_pattern": "M-M*-M-M-",
    "num_hidden_layers": 9,
    "hidden_size": 256,
    "vocab_size": 4096,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 64,
    "intermediate_size": 768,
    "mlp_hidden_act": "relu2",
    "mamba_num_heads": 8,
    "mamba_head_dim": 32,
    "ssm_state_size": 32,
    "n_groups": 2,
    "conv_kernel": 4,
    "chunk_size": 64,
    "expand": 1,
    "time_step_limit": [0.0, {"__float__": "Infinity"}],
    "time_step_min": 0.001,
    "time_step_max": 0.1,
    "torch_dtype": "float32",
}


def init_weights(cfg, gen):
    """Canonical weight dict, float32. Residual-branch outputs are scaled by 1/sqrt(2 * layers) so the
    residual stream starts near the embedding scale; Mamba Delta starts log-uniform in 0.001..0.1 and
    A in -1..-16 (the usual Mamba-2 initialisation)."""
    def normal(shape, std):
        return torch.randn(*shape, generator=gen) * std

    H, V = cfg.hidden_size, cfg.vocab_size
    out_scale = (2 * cfg.num_layers) ** -0.5
    w = {}
    for name, shape in nemotron_weights.expected_shapes(cfg).items():
        shape = [cfg.intermediate_size if s is None else s for s in shape]  # MLP widths
        n_m = cfg.mamba_num_heads
        if name == "embeddings.weight":
            t = normal(shape, 1.0)
        elif name == "lm_head.weight":
            t = normal(shape, 0.02)
        elif name.endswith("norm.weight") or name == "norm_f.weight":
            t = torch.ones(*shape)
        elif name.endswith("dt_bias"):
            dt = torch.exp(torch.rand(n_m, generator=gen) * (math.log(0.1) - math.log(0.001)) + math.log(0.001))
            t = dt + torch.log(-torch.expm1(-dt))            # softplus^-1(dt)
        elif name.endswith("A_log"):
            t = torch.log(1.0 + 15.0 * torch.rand(n_m, generator=gen))
        elif name.endswith(".D"):
            t = torch.ones(n_m)
        elif name.endswith("conv1d.weight"):
            t = normal(shape, cfg.conv_kernel ** -0.5)
        elif name.endswith("conv1d.bias"):
            t = torch.zeros(*shape)
        elif name.endswith(("out_proj.weight", "o_proj.weight", "down_proj.weight")):
            t = normal(shape, shape[1] ** -0.5 * out_scale)
        elif len(shape) == 2:
            t = normal(shape, shape[1] ** -0.5)
        else:
            raise ValueError(f"no initialisation rule for {name} {shape}")
        w[name] = t.float()
    return w


def checkpoint_tensors(w):
    """Canonical names -> HF checkpoint names (backbone. prefix, lm_head. kept)."""
    return {(n if n.startswith("lm_head.") else "backbone." + n): t.detach().contiguous().clone()
            for n, t in w.items()}


def save_model(model_dir, config, w, meta):
    os.makedirs(model_dir, exist_ok=True)
    with open(os.path.join(model_dir, "config.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    tmp = os.path.join(model_dir, "model.safetensors.tmp")
    safetensors_io.write_file(tmp, checkpoint_tensors(w), metadata=meta)
    os.replace(tmp, os.path.join(model_dir, "model.safetensors"))


def lr_at(step, args):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    frac = (step - args.warmup) / max(1, args.steps - args.warmup)
    return args.lr * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, frac))))


def batch_loss(model, stream, starts, ctx):
    """Mean next-token cross-entropy over the windows stream[s : s + ctx + 1], s in starts. The
    unbatched reference forward is mapped over the batch with functorch.vmap (same math as a loop of
    single-sequence calls, but one large matmul per projection instead of many small ones)."""
    seqs = torch.stack([stream[s:s + ctx + 1] for s in starts.tolist()])   # [B, ctx+1]
    logits = vmap(model)(seqs[:, :-1])                                     # [B, ctx, V]
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), seqs[:, 1:].reshape(-1))


@torch.no_grad()
def heldout_loss(model, stream, ctx, n_windows):
    """Mean NLL over the first n_windows non-overlapping windows of ctx tokens, predicting tokens 1..
    ctx-1 of each window (a quick progress figure; evaluate.py gives the full definition)."""
    n = min(n_windows, len(stream) // ctx)
    seqs = stream[:n * ctx].reshape(n, ctx)
    logits = vmap(model)(seqs[:, :-1])
    return float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), seqs[:, 1:].reshape(-1)))


def param_groups(model, weight_decay):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (decay if p.dim() == 2 else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def main():
    ap = argparse.ArgumentParser(description="train the embedded NemotronH model")
    ap.add_argument("--data", required=True, help="directory with brown-train.txt and brown-heldout.txt")
    ap.add_argument("--model", required=True, help="model directory (tokenizer.json in it; weights written)")
    ap.add_argument("--steps", type=int, default=130)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--save-every", type=int, default=10)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    t0 = time.time()
    tok = bpe_tokenizer.Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    with open(os.path.join(args.data, "brown-train.txt"), encoding="utf-8") as f:
        train = torch.tensor(tok.encode(f.read()), dtype=torch.long)
    with open(os.path.join(args.data, "brown-heldout.txt"), encoding="utf-8") as f:
        held = torch.tensor(tok.encode(f.read()), dtype=torch.long)
    print(f"tokens: train {len(train)}, held-out {len(held)} ({time.time() - t0:.1f} s)", flush=True)

    config = dict(DENSE_CONFIG, vocab_size=len(tok.vocab))
    cfg = nemotron_config.config_from_dict(config)
    gen = torch.Generator().manual_seed(args.seed)
    model = nemotron_ref.NemotronH(cfg, init_weights(cfg, gen))
    n_params = sum(p.numel() for p in model.parameters())
    print(f"parameters: {n_params} ({n_params * 4 / 1e6:.1f} MB as float32)", flush=True)
    opt = torch.optim.AdamW(param_groups(model, args.weight_decay), lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    data_gen = torch.Generator().manual_seed(args.seed + 1)
    t_train = time.time()
    for step in range(args.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args)
        starts = torch.randint(0, len(train) - args.ctx - 1, (args.batch,), generator=data_gen)
        opt.zero_grad(set_to_none=True)
        loss_t = batch_loss(model, train, starts, args.ctx)
        loss_t.backward()
        loss = float(loss_t)
        gnorm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0))
        opt.step()
        el = time.time() - t_train
        tps = (step + 1) * args.batch * args.ctx / el
        print(f"step {step + 1}/{args.steps} loss {loss:.4f} gnorm {gnorm:.2f} lr {lr_at(step, args):.2e} "
              f"{el:.0f} s {tps:.0f} tok/s", flush=True)
        if (step + 1) % args.save_every == 0 or step + 1 == args.steps:
            meta = {"step": step + 1, "train_loss": f"{loss:.4f}", "seed": args.seed}
            save_model(args.model, config, model.weights(), meta)
    hl = heldout_loss(model, held, args.ctx, 16)
    print(f"held-out (first 16 windows) loss {hl:.4f} ppl {math.exp(hl):.1f}", flush=True)
    print(f"done: {args.steps} steps, {args.steps * args.batch * args.ctx} tokens, "
          f"wall {time.time() - t0:.0f} s (training {time.time() - t_train:.0f} s), "
          f"threads {args.threads}, cores {os.cpu_count()}", flush=True)


if __name__ == "__main__":
    main()
