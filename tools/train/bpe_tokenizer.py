"""Byte-level BPE encoder/decoder for the tokenizer.json written by train_bpe.py.

It implements exactly the subset of the Hugging Face pipeline that file uses, so that the ids can be
checked against an independent implementation (tools/train/check_tokenizer.js):
  1. added (special) tokens are cut out of the text first and map straight to their ids;
  2. Split pre-tokenizer with the Llama-3 regex, behavior Isolated (every match is one piece);
  3. ByteLevel: each UTF-8 byte of a piece becomes one printable character (GPT-2 byte map);
  4. BPE with ignore_merges false: repeatedly merge the adjacent pair with the lowest merge rank,
     all its non-overlapping occurrences left to right, until no pair has a rank;
  5. post-processor: `<s>` (id 1) prepended once when add_special_tokens is true.
"""
import json

import regex

# Llama-3 pre-tokenizer pattern: contractions, letter runs with one optional leading non-letter,
# 1-3 digit groups, punctuation runs with an optional leading space, newlines, other whitespace.
SPLIT_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                 r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
_SPLIT_RE = regex.compile(SPLIT_PATTERN)


def bytes_to_unicode():
    """GPT-2 byte map: printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100.. in
    byte order, so every byte is one visible character and no token contains whitespace."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    mapping, extra = {}, 0
    for b in range(256):
        if b in keep:
            mapping[b] = chr(b)
        else:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


def pretokenize(text):
    """text -> list of byte-level pieces (strings of mapped characters)."""
    return ["".join(BYTE_TO_CHAR[b] for b in m.encode("utf-8")) for m in _SPLIT_RE.findall(text)]


class Tokenizer:
    def __init__(self, vocab, merges, special_tokens, bos_id=1):
        self.vocab = vocab                                   # token string -> id
        self.id_to_token = {i: t for t, i in vocab.items()}
        self.ranks = {tuple(m): r for r, m in enumerate(merges)}
        self.special = dict(special_tokens)                  # special string -> id
        self.bos_id = bos_id
        self._cache = {}
        # longest first so that a special token that prefixes another cannot shadow it
        alts = sorted(self.special, key=len, reverse=True)
        self._special_re = regex.compile("|".join(regex.escape(s) for s in alts)) if alts else None

    @classmethod
    def from_file(cls, path):
        with open(path, encoding="utf-8") as f:
            tj = json.load(f)
        model = tj["model"]
        merges = [m.split(" ") if isinstance(m, str) else m for m in model["merges"]]
        special = {a["content"]: a["id"] for a in tj["added_tokens"] if a.get("special")}
        return cls(model["vocab"], merges, special, bos_id=special.get("<s>", 1))

    def bpe(self, piece):
        """One byte-level piece -> list of token strings."""
        if piece in self._cache:
            return self._cache[piece]
        parts = list(piece)
        while len(parts) > 1:
            best = min((self.ranks.get((parts[i], parts[i + 1]), 1 << 62), i) for i in range(len(parts) - 1))
            if best[0] == 1 << 62:
                break
            a, b = parts[best[1]], parts[best[1] + 1]
            merged, i = [], 0
            while i < len(parts):
                if i + 1 < len(parts) and parts[i] == a and parts[i + 1] == b:
                    merged.append(a + b)
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        self._cache[piece] = parts
        return parts

    def encode_ordinary(self, text):
        """Text without special-token handling -> ids."""
        ids = []
        for piece in pretokenize(text):
            ids.extend(self.vocab[t] for t in self.bpe(piece))
        return ids

    def encode(self, text, add_special_tokens=True):
        ids = [self.bos_id] if add_special_tokens else []
        pos = 0
        if self._special_re is not None:
            for m in self._special_re.finditer(text):
                ids.extend(self.encode_ordinary(text[pos:m.start()]))
                ids.append(self.special[m.group(0)])
                pos = m.end()
        ids.extend(self.encode_ordinary(text[pos:]))
        return ids

    def decode(self, ids, skip_special_tokens=True):
        out, buf = [], bytearray()
        for i in ids:
            tok = self.id_to_token[i]
            if tok in self.special:
                if not skip_special_tokens:
                    out.append(buf.decode("utf-8", errors="replace"))
                    buf = bytearray()
                    out.append(tok)
                continue
            buf.extend(CHAR_TO_BYTE[c] for c in tok)
        out.append(buf.decode("utf-8", errors="replace"))
        return "".join(out)
