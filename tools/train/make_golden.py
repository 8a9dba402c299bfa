"""Golden greedy continuation of the embedded model, for the end-to-end CLI test.

  /usr/bin/python3 tools/train/make_golden.py -m models/nemotron-brown-tiny

Writes <model>/golden.json (or --out FILE): the prompt string, its ids (tokenizer encode with <s> prepended), the
greedy continuation of n = 24 ids (argmax, ties to the lowest id) computed by the independent
reference in float64 from the stored weights, the decoded continuation, and the smallest top-1 vs
top-2 logit margin over the steps (how robust the expected ids are to rounding in the engine).
The continuation is computed twice, by full recompute and with the decode cache, and must agree.
"""
import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import bpe_tokenizer  # noqa: E402
import nemotron_ref  # noqa: E402

# The first prompt whose greedy steps all win by at least MIN_GAP logits is used, so that float32
# rounding in the engine cannot flip a step; the list is fixed, so the choice is deterministic.
PROMPTS = ["The jury said that", "It was the first time", "In the morning, the", "He said that the"]
MIN_GAP = 0.05
N_NEW = 24


def min_top2_gap(cfg, w, ids, n_prompt):
    """Smallest top-1 minus top-2 logit over the greedy steps (positions n_prompt-1 .. end-1)."""
    logits = nemotron_ref.forward(cfg, w, ids[:-1])[n_prompt - 1:]        # [n_new, V]
    top2 = logits.topk(2, dim=-1).values
    return float((top2[:, 0] - top2[:, 1]).min())


def main():
    ap = argparse.ArgumentParser(description="golden greedy continuation for the CLI test")
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("--prompt", action="append", help="candidate prompt (repeatable); default: PROMPTS")
    ap.add_argument("-n", type=int, default=N_NEW)
    ap.add_argument("--out", help="where to write golden.json (default: the model directory)")
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 unless the result equals the model's golden.json byte for byte")
    args = ap.parse_args()
    torch.set_num_threads(2)
    cfg, w = nemotron_ref.load_model(args.model, torch.float64)
    tok = bpe_tokenizer.Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    for prompt in args.prompt or PROMPTS:
        prompt_ids = tok.encode(prompt)
        with torch.no_grad():
            full = nemotron_ref.greedy_recompute(cfg, w, prompt_ids, args.n)
            cached = nemotron_ref.greedy_cached(cfg, w, prompt_ids, args.n)
            if list(full) != list(cached):
                raise SystemExit(f"greedy with and without the cache differ: {full} vs {cached}")
            gap = min_top2_gap(cfg, w, list(prompt_ids) + list(full), len(prompt_ids))
        print(f"prompt {prompt!r}: min top-2 gap {gap:.4f}", file=sys.stderr)
        if gap >= MIN_GAP:
            break
    golden = {
        "prompt": prompt,
        "prompt_ids": prompt_ids,
        "add_bos": True,
        "n": args.n,
        "greedy_ids": [int(i) for i in full],
        "text": tok.decode(full),
        "min_top2_gap": round(gap, 6),
        "computed_with": "tools/reference/nemotron_ref.py, float64, chunked-SSD prefill; ties to the lowest id",
    }
    text = json.dumps(golden, indent=2, ensure_ascii=False) + "\n"
    if args.check:
        with open(os.path.join(args.model, "golden.json"), encoding="utf-8") as f:
            if f.read() != text:
                print("regenerated golden data differs from golden.json:\n" + text)
                return 1
        print("ok: golden.json regenerates identically")
        return 0
    with open(args.out or os.path.join(args.model, "golden.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(json.dumps(golden, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
