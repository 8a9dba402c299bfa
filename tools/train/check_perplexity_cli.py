#!/usr/bin/env python3
"""Checks `nemotron perplexity` against the reference evaluation stored in heldout_ppl.json.

  check_perplexity_cli.py --cli build/bin/nemotron -m models/nemotron-brown-tiny -f models/brown-heldout.txt \
      --ctx 256 --rtol 0.005

heldout_ppl.json is written by tools/train/evaluate.py (the independent reference, float64). Exits 1 when the
relative difference of ppl exceeds rtol or the token counts differ.
"""
import argparse
import json
import os
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("-f", "--file", required=True)
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--rtol", type=float, default=0.005)
    args = ap.parse_args()
    with open(os.path.join(args.model, "heldout_ppl.json")) as f:
        ref = json.load(f)
    if ref["ctx"] != args.ctx:
        sys.exit(f"heldout_ppl.json was computed with ctx {ref['ctx']}, not {args.ctx}")
    out = subprocess.run([args.cli, "perplexity", "-m", args.model, "-f", args.file, "--ctx", str(args.ctx)],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"nemotron perplexity failed: {out.stderr.strip()}")
    got = json.loads(out.stdout)
    rel = abs(got["ppl"] - ref["ppl"]) / ref["ppl"]
    print(f"engine ppl {got['ppl']:.6f} over {got['tokens']} tokens; reference {ref['ppl']:.6f} over "
          f"{ref['tokens']}; relative difference {rel:.2e} (limit {args.rtol})")
    if got["tokens"] != ref["tokens"] or rel > args.rtol:
        sys.exit(1)


if __name__ == "__main__":
    main()
