"""Held-out perplexity of a checkpoint, computed exactly as `nemotron perplexity -m DIR -f FILE --ctx N`.

  /usr/bin/python3 tools/train/evaluate.py -m models/nemotron-brown-tiny -f models/brown-heldout.txt --ctx 256

Definition (shared with the C++ command):
  1. ids = the whole file tokenized by the model's tokenizer with <s> prepended once (what the
     tokenizer's encode with special tokens does); the file is read as UTF-8, nothing is stripped.
  2. The ids are cut into consecutive non-overlapping windows of ctx ids: ids[0:ctx], ids[ctx:2ctx], ...
     (the last one may be shorter).
  3. Each window is evaluated independently from an empty state: token j of the window (j >= 1) is
     predicted from tokens 0..j-1 of the same window. The first token of every window is not predicted.
  4. tokens = sum over windows of (window length - 1); nll = the sum of -log softmax(logits)[next id];
     ppl = exp(nll / tokens).
Computed with the independent reference forward (tools/reference/nemotron_ref.py) in float64 from the
stored weights (up-cast exactly). Prints one JSON object: {"ppl", "tokens", "ctx", "nll_per_token",
"windows"}.
"""
import argparse
import json
import math
import os
import sys

import torch
from functorch import vmap  # torch 1.13 (Debian); torch.func.vmap in later versions

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import bpe_tokenizer  # noqa: E402
import nemotron_ref  # noqa: E402


def windows(ids, ctx):
    """-> list of id lists, consecutive and non-overlapping, each at most ctx long."""
    return [ids[i:i + ctx] for i in range(0, len(ids), ctx)]


def window_nll(cfg, w, batch):
    """batch: [B, n] ids (equal-length windows) -> summed NLL of tokens 1..n-1 of every window."""
    logits = vmap(lambda s: nemotron_ref.forward(cfg, w, s))(batch)     # [B, n, V] float64
    logp = torch.log_softmax(logits[:, :-1], dim=-1)
    return -float(logp.gather(-1, batch[:, 1:, None]).sum())


def perplexity(model_dir, text, ctx, batch_size=16):
    if ctx < 2:
        raise ValueError(f"--ctx must be >= 2, found {ctx}")
    cfg, w = nemotron_ref.load_model(model_dir, torch.float64)
    tok = bpe_tokenizer.Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    ids = tok.encode(text)
    wins = windows(ids, ctx)
    full = [x for x in wins if len(x) == ctx]
    rest = [x for x in wins if len(x) != ctx]
    nll, tokens = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(full), batch_size):
            nll += window_nll(cfg, w, torch.tensor(full[i:i + batch_size], dtype=torch.long))
        for x in rest:
            if len(x) > 1:
                nll += window_nll(cfg, w, torch.tensor([x], dtype=torch.long))
    tokens = sum(len(x) - 1 for x in wins)
    return {"ppl": math.exp(nll / tokens), "tokens": tokens, "ctx": ctx,
            "nll_per_token": nll / tokens, "windows": len(wins)}


def main():
    ap = argparse.ArgumentParser(description="held-out perplexity (definition in the module docstring)")
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("-f", "--file", required=True)
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with open(args.file, encoding="utf-8") as f:
        text = f.read()
    print(json.dumps(perplexity(args.model, text, args.ctx)))


if __name__ == "__main__":
    main()
