#!/usr/bin/env python3
"""Writes a tiny random-weight Nemotron-H text model directory for server and runtime tests.

  make_text_model.py --out DIR [--hidden 64] [--pattern "M*-M-*-"] [--seed 7]

The directory holds config.json, model.safetensors (float32, random weights from the reference
generator), a byte-level BPE tokenizer.json (the 256 byte tokens, no merges, plus the special
tokens of the Nemotron 3 chat format), tokenizer_config.json with the Nemotron 3 chat template
(tests/data/templates) and generation_config.json. Nothing is trained: the model's text is noise,
but every code path of a real text model (template, special tokens, EOS, think tags) is exercised.
Deterministic: the same arguments give byte-identical files.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "reference"))
import fixture_cases  # noqa: E402
import make_fixtures  # noqa: E402
import nemotron_config  # noqa: E402
import safetensors_io  # noqa: E402
import torch  # noqa: E402

SPECIAL = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "<think>", "</think>",
           "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>"]


def byte_to_unicode():
    """GPT-2's reversible byte -> printable character map used by ByteLevel BPE."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def tokenizer_json():
    b2u = byte_to_unicode()
    vocab = {}
    for i, tok in enumerate(SPECIAL):  # special tokens first: ids 0..len(SPECIAL)-1
        vocab[tok] = i
    for b in range(256):
        vocab[b2u[b]] = len(SPECIAL) + b
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, t in enumerate(SPECIAL)]
    level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": None, "pre_tokenizer": level, "post_processor": None, "decoder": level,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": False, "vocab": vocab, "merges": []},
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--pattern", default="M*-M-*-")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    vocab_size = len(SPECIAL) + 256
    vocab_size += (-vocab_size) % 16
    config = fixture_cases._dense_config()
    config.update({"vocab_size": vocab_size, "hidden_size": a.hidden, "hybrid_override_pattern": a.pattern,
                   "num_hidden_layers": len(a.pattern), "intermediate_size": a.hidden * 3 // 2 * 2,
                   "mamba_head_dim": max(16, a.hidden), "bos_token_id": 1, "eos_token_id": 4,
                   "pad_token_id": 0, "max_position_embeddings": 65536})
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    cfg = nemotron_config.load_config(os.path.join(a.out, "config.json"))
    rng = np.random.default_rng(a.seed)
    w = make_fixtures.make_weights(cfg, rng)
    tensors = {(n if n == "lm_head.weight" else "backbone." + n): t.to(torch.float32) for n, t in w.items()}
    safetensors_io.write_file(os.path.join(a.out, "model.safetensors"), tensors, {"format": "pt"})
    with open(os.path.join(a.out, "tokenizer.json"), "w") as f:
        json.dump(tokenizer_json(), f, ensure_ascii=False)
    src = os.path.join(HERE, "..", "tests", "data", "templates", "NVIDIA-Nemotron-3-Nano-30B-A3B-BF16.jinja")
    with open(src, encoding="utf-8") as f:
        template = f.read()
    tok_cfg = {"bos_token": "<s>", "eos_token": "<|im_end|>", "pad_token": "<unk>", "unk_token": "<unk>",
               "add_bos_token": False, "add_eos_token": False, "clean_up_tokenization_spaces": False,
               "model_max_length": 65536, "tokenizer_class": "PreTrainedTokenizerFast",
               "chat_template": template}
    with open(os.path.join(a.out, "tokenizer_config.json"), "w") as f:
        json.dump(tok_cfg, f, indent=2, ensure_ascii=False)
    with open(os.path.join(a.out, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 1, "eos_token_id": [4], "pad_token_id": 0}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
