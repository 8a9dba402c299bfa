"""Count-based baselines on exactly the tokens that evaluate.py / `nemotron perplexity` score.

  /usr/bin/python3 tools/train/baselines.py -m models/nemotron-brown-tiny --train build/data/brown-train.txt \
      -f models/brown-heldout.txt --ctx 256

Both are fitted on the training split tokenized like the held-out file (<s> prepended once), and
scored on the held-out windows of evaluate.py: token j >= 1 of each ctx-window, with its context cut
at the window start, exactly like the neural model.
  - unigram: add-one smoothed over the whole vocabulary, p(w) = (c(w) + 1) / (N + V).
  - order-n interpolated Kneser-Ney (absolute discount D = 0.75 at every order): the highest order
    uses raw counts, lower orders continuation counts (number of distinct left neighbours), and the
    lowest order is interpolated with the uniform distribution over the vocabulary, so every token
    has non-zero probability. Contexts never seen in training back off with weight 1. Near a window
    start the context is shorter than n-1 and the estimate starts from the shorter order (whose
    counts are continuation counts, as everywhere below the top order).
Prints JSON: {"tokens", "ctx", "unigram_ppl", "kn2_ppl", "kn3_ppl", "kn4_ppl"}.
"""
import argparse
import collections
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bpe_tokenizer  # noqa: E402
import evaluate  # noqa: E402

DISCOUNT = 0.75


class KneserNey:
    def __init__(self, ids, order, vocab_size):
        self.order, self.V, self.D = order, vocab_size, DISCOUNT
        # counts[k][(context..., w)] for k = 1..order: raw counts at the top order, continuation
        # counts (distinct left extensions) below it
        self.counts = {k: collections.Counter() for k in range(1, order + 1)}
        top = self.counts[order]
        for i in range(order - 1, len(ids)):
            top[tuple(ids[i - order + 1:i + 1])] += 1
        for k in range(order, 1, -1):  # continuation counts of order k-1 from the grams of order k
            for gram in self.counts[k]:
                self.counts[k - 1][gram[1:]] += 1
        if order == 1:
            raise ValueError("use the unigram baseline for order 1")
        # per context: total count and number of distinct followers
        self.ctx_total = {k: collections.Counter() for k in range(1, order + 1)}
        self.ctx_types = {k: collections.Counter() for k in range(1, order + 1)}
        for k in range(1, order + 1):
            for gram, c in self.counts[k].items():
                self.ctx_total[k][gram[:-1]] += c
                self.ctx_types[k][gram[:-1]] += 1

    def prob(self, context, w):
        """context: tuple of up to order-1 previous ids (shorter at a window start)."""
        p = 1.0 / self.V
        for k in range(1, min(len(context) + 1, self.order) + 1):
            ctx = tuple(context[len(context) - (k - 1):]) if k > 1 else ()
            total = self.ctx_total[k].get(ctx, 0)
            if total == 0:
                continue  # unseen context: keep the lower-order estimate
            c = self.counts[k].get(ctx + (w,), 0)
            p = max(c - self.D, 0.0) / total + self.D * self.ctx_types[k][ctx] / total * p
        return p


def scored_positions(ids, ctx):
    """(window, j) pairs scored by evaluate.py: every token j >= 1 of every window."""
    for win in evaluate.windows(ids, ctx):
        for j in range(1, len(win)):
            yield win, j


def main():
    ap = argparse.ArgumentParser(description="unigram and Kneser-Ney baselines")
    ap.add_argument("-m", "--model", required=True, help="model directory (for its tokenizer.json)")
    ap.add_argument("--train", required=True)
    ap.add_argument("-f", "--file", required=True)
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--orders", default="2,3,4")
    args = ap.parse_args()
    tok = bpe_tokenizer.Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    V = len(tok.vocab)
    with open(args.train, encoding="utf-8") as f:
        train = tok.encode(f.read())
    with open(args.file, encoding="utf-8") as f:
        held = tok.encode(f.read())
    positions = list(scored_positions(held, args.ctx))
    uni = collections.Counter(train)
    nll = -sum(math.log((uni[win[j]] + 1) / (len(train) + V)) for win, j in positions)
    out = {"tokens": len(positions), "ctx": args.ctx, "train_tokens": len(train),
           "unigram_ppl": math.exp(nll / len(positions))}
    for n in (int(x) for x in args.orders.split(",")):
        lm = KneserNey(train, n, V)
        nll = -sum(math.log(lm.prob(tuple(win[max(0, j - n + 1):j]), win[j])) for win, j in positions)
        out[f"kn{n}_ppl"] = math.exp(nll / len(positions))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
