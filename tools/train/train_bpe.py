"""Trains the byte-level BPE tokenizer on the training split and writes the Hugging Face files.

  /usr/bin/python3 tools/train/train_bpe.py --train build/data/brown-train.txt --vocab-size 4096 \
      --out models/nemotron-brown-tiny

Vocabulary layout: ids 0..13 are special tokens (<unk>, <s>, </s>, <SPECIAL_3>..<SPECIAL_9>,
<|im_start|>, <|im_end|>, <think>, </think>), ids 14..269 the 256 byte symbols in byte order, then one
id per merge in the order learned.

Training: the text is cut into pieces by the Llama-3 split regex (pieces never merge across each
other); each distinct piece is a word weighted by its count. Every step merges the most frequent
adjacent pair of symbols; ties go to the pair whose (left id, right id) is smallest, so the result
depends on nothing but the input text. Pair counts are updated incrementally (only the words that
contain the merged pair are revisited) with a lazy max-heap.

Writes tokenizer.json, tokenizer_config.json (with the Nemotron 3 chat template given by
--chat-template) and generation_config.json.
"""
import argparse
import collections
import heapq
import json
import os

import bpe_tokenizer

SPECIAL_TOKENS = (["<unk>", "<s>", "</s>"] + [f"<SPECIAL_{i}>" for i in range(3, 10)]
                  + ["<|im_start|>", "<|im_end|>", "<think>", "</think>"])
BOS_ID, EOS_ID, IM_END_ID = 1, 2, 11


def count_pieces(text):
    return collections.Counter(bpe_tokenizer.pretokenize(text))


def learn_merges(piece_counts, n_merges, first_id):
    """piece_counts: {byte-level piece: count} -> (id_to_symbol list, merges [(a_str, b_str)])."""
    symbols = [bpe_tokenizer.BYTE_TO_CHAR[b] for b in range(256)]
    sym_id = {s: first_id + i for i, s in enumerate(symbols)}
    id_sym = {i: s for s, i in sym_id.items()}
    words = [[sym_id[c] for c in piece] for piece in sorted(piece_counts)]
    freqs = [piece_counts[p] for p in sorted(piece_counts)]
    pair_count = collections.Counter()
    where = collections.defaultdict(set)
    for wi, word in enumerate(words):
        for a, b in zip(word, word[1:]):
            pair_count[(a, b)] += freqs[wi]
            where[(a, b)].add(wi)
    heap = [(-c, a, b) for (a, b), c in pair_count.items()]
    heapq.heapify(heap)
    merges = []
    next_id = first_id + 256
    while len(merges) < n_merges and heap:
        neg, a, b = heapq.heappop(heap)
        if pair_count.get((a, b), 0) != -neg or neg == 0:
            continue  # stale heap entry
        new = next_id
        next_id += 1
        id_sym[new] = id_sym[a] + id_sym[b]
        merges.append((id_sym[a], id_sym[b]))
        changed = set()
        for wi in sorted(where.pop((a, b))):
            word, f = words[wi], freqs[wi]
            if len(word) < 2:
                continue
            for p in zip(word, word[1:]):
                pair_count[p] -= f
                changed.add(p)
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            words[wi] = out
            for p in zip(out, out[1:]):
                pair_count[p] += f
                where[p].add(wi)
                changed.add(p)
        for p in changed:
            c = pair_count[p]
            if c <= 0:
                del pair_count[p]
            elif p != (a, b):
                heapq.heappush(heap, (-c, p[0], p[1]))
        pair_count.pop((a, b), None)
    return id_sym, merges


def tokenizer_json(id_sym, merges):
    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS)}
    for i in sorted(id_sym):
        vocab[id_sym[i]] = i
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, t in enumerate(SPECIAL_TOKENS)]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": bpe_tokenizer.SPLIT_PATTERN},
             "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
        ]},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [BOS_ID], "tokens": ["<s>"]}},
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": False, "vocab": vocab, "merges": [list(m) for m in merges]},
    }


def tokenizer_config(chat_template):
    decoder = {str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                        "single_word": False, "special": True} for i, t in enumerate(SPECIAL_TOKENS)}
    return {
        "add_bos_token": True,
        "add_eos_token": False,
        "added_tokens_decoder": decoder,
        "bos_token": "<s>",
        "eos_token": "<|im_end|>",
        "unk_token": "<unk>",
        "pad_token": "<unk>",
        "clean_up_tokenization_spaces": False,
        "model_max_length": 4096,
        "tokenizer_class": "PreTrainedTokenizerFast",
        "chat_template": chat_template,
    }


def generation_config():
    return {"bos_token_id": BOS_ID, "eos_token_id": [EOS_ID, IM_END_ID], "pad_token_id": 0,
            "do_sample": False, "max_new_tokens": 64}


def write_json(path, obj):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description="train the byte-level BPE tokenizer")
    ap.add_argument("--train", required=True)
    ap.add_argument("--vocab-size", type=int, default=4096)
    ap.add_argument("--chat-template", help="Jinja file copied into tokenizer_config.json (default: keep the "
                    "chat_template of the tokenizer_config.json already in --out)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with open(args.train, encoding="utf-8") as f:
        text = f.read()
    n_merges = args.vocab_size - len(SPECIAL_TOKENS) - 256
    id_sym, merges = learn_merges(count_pieces(text), n_merges, len(SPECIAL_TOKENS))
    if args.chat_template:
        with open(args.chat_template, encoding="utf-8") as f:
            template = f.read()
    else:
        with open(os.path.join(args.out, "tokenizer_config.json"), encoding="utf-8") as f:
            template = json.load(f)["chat_template"]
    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "tokenizer.json"), tokenizer_json(id_sym, merges))
    write_json(os.path.join(args.out, "tokenizer_config.json"), tokenizer_config(template))
    write_json(os.path.join(args.out, "generation_config.json"), generation_config())
    print(f"vocab {len(SPECIAL_TOKENS) + len(id_sym)} ({len(merges)} merges) -> {args.out}")


if __name__ == "__main__":
    main()
