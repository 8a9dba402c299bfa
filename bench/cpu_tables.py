#!/usr/bin/env python3
"""Markdown tables from the JSON lines of bench/cpu_tables.sh (nemotron bench --json, synth timings).

Usage: cpu_tables.py RESULTS.jsonl [MORE.jsonl ...] (rows in file order). The bandwidth column shows the roofline
the run used (the higher probe) and both probes: on a shared machine they can differ by more than the engine's
distance from the roofline, and a decode that ran in a slow phase then reads as a low fraction of the fast one."""
import json
import sys


def main(paths):
    runs, synths = [], []
    for path in paths:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                j = json.loads(line)
                (synths if "synth" in j else runs).append(j)
    if runs:
        print("| shape | type | threads | pp tok/s | prefill GFLOP/s | % of peak | TTFT s | tg tok/s "
              "| decode GB/s | % of bandwidth | bandwidth GB/s (before / after) | peak GOP/s (instruction) | peak RSS GiB | file GiB |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in runs:
            rss = r.get("peak_rss_bytes") or 0
            print(f"| {r.get('shape', '?')} | {r['weight_type']} | {r['threads']} "
                  f"| {r['prefill_tokens_per_s']:.2f} (pp{r['prompt_tokens']}) | {r['prefill_gflops_per_s']:.1f} "
                  f"| {100 * r['prefill_peak_fraction']:.1f}% | {r['ttft_s']:.2f} "
                  f"| {r['decode_tokens_per_s']:.2f} (tg{r['gen_tokens']}) | {r['decode_gb_per_s']:.2f} "
                  f"| {100 * r['decode_bandwidth_fraction']:.1f}% | {r['bandwidth_gb_per_s']:.2f} "
                  f"({r['bandwidth_before_gb_per_s']:.1f} / {r['bandwidth_after_gb_per_s']:.1f}) "
                  f"| {r['peak_gops_per_s']:.0f} ({r['peak_instruction']}) | {rss / 2**30:.2f} "
                  f"| {r['model_file_bytes'] / 2**30:.2f} |")
    if synths:
        print()
        print("| synth | type | seconds | GiB | MB/s |")
        print("|---|---|---|---|---|")
        for s in synths:
            print(f"| {s['synth']} | {s['type']} | {s['seconds']:.1f} | {s['bytes'] / 2**30:.2f} "
                  f"| {s['bytes'] / s['seconds'] / 1e6:.0f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
