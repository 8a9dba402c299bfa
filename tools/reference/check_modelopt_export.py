#!/usr/bin/env python3
"""Cross-checks `nemotron quantize --type fp8|nvfp4|...` (or `nemotron synth --type ...` to a directory) with the
independent reference: the engine writes a ModelOpt checkpoint, then `nemotron logits` on it must equal the
reference's logits on the same files (modelopt_ref dequantizes them from the spec: nibble order, block-scale
layout, scale names; safetensors_io reads the shards through the index), and the reference must find exactly the
expected ModelOpt tensors.

  check_modelopt_export.py --cli build/bin/nemotron --model tests/fixtures/moe_f32 --type nvfp4 --work DIR
  check_modelopt_export.py --cli build/bin/nemotron --synth-config configs/Nemotron-H-8B.json --scale 0.03125 \
      --max-shard-mb 1 --type fp8 --work DIR
"""
import argparse
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import modelopt_ref  # noqa: E402
import nemotron_ref as ref  # noqa: E402
import safetensors_io  # noqa: E402

TOKENS = [5, 17, 99, 3, 64, 127, 0, 42, 8, 77, 31, 2, 90]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", required=True)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="a Hugging Face directory to quantize")
    src.add_argument("--synth-config", help="a config to synthesize random weights for, straight to --type")
    ap.add_argument("--scale", default="1", help="--synth-config: the synth's --scale")
    ap.add_argument("--max-shard-mb", default="5000", help="--synth-config: the synth's --max-shard-mb")
    ap.add_argument("--type", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--atol", type=float, default=1e-4)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    out = os.path.join(args.work, "q")
    if args.model:
        subprocess.run([args.cli, "quantize", "-m", args.model, "--type", args.type, "--out", out], check=True)
    else:
        subprocess.run([args.cli, "synth", "--config", args.synth_config, "--scale", args.scale, "--type", args.type,
                        "--max-shard-mb", args.max_shard_mb, "--out", out], check=True)
        if float(args.max_shard_mb) < 5000 and not os.path.exists(os.path.join(out, safetensors_io.INDEX_NAME)):
            print(f"FAIL: expected a sharded checkpoint with {safetensors_io.INDEX_NAME}")
            return 1
    qcfg = modelopt_ref.load_quant_config(out)
    dtypes = {}
    raw = safetensors_io.read_checkpoint(out, dtypes)
    weights = [n for n, t in dtypes.items() if t in ("F8_E4M3", "U8") and n.endswith(".weight")]
    print(f"{args.type}: quant_algo {qcfg['algo']}, {len(weights)} quantized weights, exclude {qcfg['exclude']}")
    ok = len(weights) > 0
    for n in weights:
        m = n[: -len(".weight")]
        ok &= not modelopt_ref.is_excluded(qcfg, m)
        want = {".weight_scale"} | ({".weight_scale_2"} if "NVFP4" in qcfg["algo"] else set()) \
            | ({".input_scale"} if qcfg["algo"] in ("FP8", "NVFP4") else set())
        have = {s for s in (".weight_scale", ".weight_scale_2", ".input_scale") if m + s in raw}
        if have != want:
            print(f"FAIL {m}: scale tensors {sorted(have)}, expected {sorted(want)}")
            ok = False
    logits_path = os.path.join(args.work, "engine.npy")
    subprocess.run([args.cli, "logits", "-m", out, "--tokens", ",".join(map(str, TOKENS)), "--out", logits_path],
                   check=True)
    engine = np.load(logits_path).astype(np.float64)
    cfg, w = ref.load_model(out, torch.float64)
    golden = ref.forward(cfg, w, TOKENS).numpy()
    diff = float(np.abs(engine - golden).max())
    print(f"max |engine - reference| = {diff:.2e} (atol {args.atol:g})")
    return 0 if ok and diff <= args.atol else 1


if __name__ == "__main__":
    sys.exit(main())
