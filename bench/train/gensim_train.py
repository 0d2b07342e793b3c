#!/usr/bin/python3
"""gensim's skip-gram on a Pharos walk corpus, timed like Pharos' trainer.

Reads the walks (one per line, node indices separated by spaces: WalkCorpus.WriteText) into memory first, builds the
vocabulary (frequency counts, the negative-sampling table, the initial vectors) outside the timed part, then times
Word2Vec.train(...) alone. Writes the input vectors (model.wv, what link prediction uses on both sides) as a float32
.npy array of shape (nodes, dims), row i = node i (a node missing from the vocabulary, which cannot happen when every
node starts walks, would be a zero row), and prints one JSON line with the timings on stdout.

--mode memory (default) trains from the in-memory list of walks, gensim's usual iterable path: a Python producer
thread batches the walks into jobs for the Cython workers. --mode corpus_file trains from the file (gensim's
corpus_file path: each worker reads its own part of the file in Cython, no producer thread); its timed part therefore
includes reading the text.
"""
import argparse
import json
import sys
import time

import numpy as np
import gensim
from gensim.models import Word2Vec
from gensim.models import word2vec_inner


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--walks", required=True, help="walk corpus text file")
    ap.add_argument("--out", required=True, help="output .npy (float32, nodes x dims, row = node index)")
    ap.add_argument("--nodes", type=int, default=0, help="row count of the output (default: largest index + 1)")
    ap.add_argument("--dims", type=int, default=64)
    ap.add_argument("--window", type=int, default=10)
    ap.add_argument("--negative", type=int, default=5)
    ap.add_argument("--ns-exponent", type=float, default=0.75)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--alpha", type=float, default=0.025)
    ap.add_argument("--min-alpha", type=float, default=0.0001)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mode", choices=["memory", "corpus_file"], default="memory")
    ap.add_argument("--context-out", help="also write the output (context) vectors, syn1neg, the same way")
    args = ap.parse_args()

    # Not timed: reading the corpus (memory mode).
    t = time.perf_counter()
    with open(args.walks, encoding="ascii") as f:
        sentences = [line.split() for line in f]
    sentences = [s for s in sentences if s]
    load_s = time.perf_counter() - t

    model = Word2Vec(
        vector_size=args.dims, window=args.window, sg=1, hs=0, negative=args.negative, ns_exponent=args.ns_exponent,
        min_count=1, sample=0,
        epochs=args.epochs, alpha=args.alpha, min_alpha=args.min_alpha, workers=args.threads, seed=args.seed,
    )
    # Not timed: vocabulary, cumulative negative-sampling table and initial vectors.
    t = time.perf_counter()
    if args.mode == "memory":
        model.build_vocab(sentences)
    else:
        model.build_vocab(corpus_file=args.walks)
    vocab_s = time.perf_counter() - t

    # Timed: training only.
    t = time.perf_counter()
    if args.mode == "memory":
        effective, raw = model.train(sentences, total_examples=model.corpus_count, epochs=args.epochs)
    else:
        effective, raw = model.train(corpus_file=args.walks, total_words=model.corpus_total_words,
                                     total_examples=model.corpus_count, epochs=args.epochs)
    train_s = time.perf_counter() - t

    nodes = args.nodes or (max(int(w) for s in sentences for w in s) + 1)
    vectors = np.zeros((nodes, args.dims), dtype=np.float32)
    missing = 0
    for i in range(nodes):
        index = model.wv.key_to_index.get(str(i))
        if index is None:
            missing += 1
        else:
            vectors[i] = model.wv.vectors[index]
    np.save(args.out, vectors)
    if args.context_out:
        # The negative-sampling output layer, row i = node i: link scores read in(a)·out(b).
        context = np.zeros((nodes, args.dims), dtype=np.float32)
        for i in range(nodes):
            index = model.wv.key_to_index.get(str(i))
            if index is not None:
                context[i] = model.syn1neg[index]
        np.save(args.context_out, context)

    print(json.dumps({
        "train_seconds": train_s,
        "vocab_seconds": vocab_s,
        "load_seconds": load_s,
        "effective_words": int(effective),
        "raw_words": int(raw),
        "walks": len(sentences),
        "nodes": nodes,
        "missing": missing,
        "mode": args.mode,
        "threads": args.threads,
        "gensim": gensim.__version__,
        "numpy": np.__version__,
        "fast_version": int(word2vec_inner.FAST_VERSION),
        "max_words_in_batch": int(word2vec_inner.MAX_WORDS_IN_BATCH),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
