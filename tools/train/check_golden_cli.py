"""End-to-end check of the embedded model through the CLI: `nemotron run -m DIR --tokens <prompt ids>
-n 24` must print exactly the greedy ids that the independent reference computed in float64
(<model>/golden.json, written by make_golden.py).

  /usr/bin/python3 tools/train/check_golden_cli.py --cli build/bin/nemotron -m models/nemotron-brown-tiny
Exit status 1 on any difference, naming the first differing step.
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
    args = ap.parse_args()
    with open(os.path.join(args.model, "golden.json"), encoding="utf-8") as f:
        golden = json.load(f)
    cmd = [args.cli, "run", "-m", args.model, "--tokens", ",".join(map(str, golden["prompt_ids"])),
           "-n", str(golden["n"]), "--ignore-eos", "--threads", "2"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    if run.returncode != 0:
        print(f"{' '.join(cmd)} failed ({run.returncode}): {run.stderr.strip()}")
        return 1
    got = [int(x) for x in run.stdout.split()]
    want = golden["greedy_ids"]
    if got != want:
        k = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), min(len(got), len(want)))
        print(f"greedy ids differ from the reference at step {k}: got {got[k:k + 6]}, want {want[k:k + 6]}"
              f" (prompt {golden['prompt']!r}, {len(got)} vs {len(want)} ids)")
        return 1
    print(f"ok: {len(got)} greedy ids match the reference for {golden['prompt']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
