"""Checks that the Python BPE encoder (bpe_tokenizer.py) and @lenml/tokenizers produce exactly the
same ids for a model's tokenizer.json: on a whole text file (the held-out split) and on edge cases
(special tokens, digits, whitespace runs, non-ASCII, contractions). Also checks decode round trips.

  /usr/bin/python3 tools/train/check_tokenizer.py --node node --js-dir tools/js \
      --model models/nemotron-brown-tiny --text models/brown-heldout.txt
Exit status 1 on the first difference, with its position.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe_tokenizer  # noqa: E402

EDGE_CASES = [
    "",
    "Hello world",
    "  leading spaces and trailing   ",
    "The year 1961, 12345678 and 3.14159.",
    "He said, \"I don't know\"; she'd've LAUGHED. THEY'LL see.",
    "line one\nline two\n\n\nfour newlines\r\n\tand a tab",
    "caf\u00e9 na\u00efve \u00fcber \u65e5\u672c\u8a9e \U0001F600 \u2014 dash",
    "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n<think></think>Hello<|im_end|>",
    "<s>bos inside</s> text <unk> <SPECIAL_5>",
    "x" * 300,
    "!!!???... ---- $$$ ((a)) [b] {c}",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--node", default="node")
    ap.add_argument("--js-dir", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--text", required=True)
    args = ap.parse_args()
    with open(args.text, encoding="utf-8") as f:
        texts = [f.read()] + EDGE_CASES
    tok = bpe_tokenizer.Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    ours = [tok.encode(t) for t in texts]
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_tokenizer.js")
    run = subprocess.run([args.node, script, args.js_dir, args.model], input=json.dumps(texts).encode(),
                         capture_output=True, check=False)
    if run.returncode != 0:
        print(run.stderr.decode(errors="replace"))
        return 1
    theirs = json.loads(run.stdout)
    failed = False
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if a != b:
            k = next((j for j in range(min(len(a), len(b))) if a[j] != b[j]), min(len(a), len(b)))
            print(f"text {i}: first difference at token {k}: python {a[k:k + 8]} vs js {b[k:k + 8]}"
                  f" (lengths {len(a)} / {len(b)})")
            failed = True
        elif tok.decode(a, skip_special_tokens=False) != "<s>" + texts[i]:
            print(f"text {i}: decode does not round-trip")
            failed = True
    if len(theirs) != len(ours):
        print(f"js returned {len(theirs)} results for {len(ours)} texts")
        failed = True
    if failed:
        return 1
    print(f"ok: {len(texts)} texts, {sum(map(len, ours))} ids identical (held-out: {len(ours[0])} ids)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
