"""The similar bench's baseline: a numpy brute-force top-k by link score over the same matrices and query rows.

Run by Pharos.Bench.Results (bench/similar/run.sh). Reads two float32 .npy files of the same shape (rows = files: the
vectors and the context vectors) and a JSON list of query rows; the score of file f against the query q is the link
score in(q)·out(f) + in(f)·out(q), as GET /repos/similar ranks. Times each query with time.perf_counter, in two forms:
  - einsum: two matrix-vector products with numpy's own SIMD loops, the query row set to -inf, argpartition for the
    top k (no negated copy) and a sort of those k;
  - BLAS: the same with the products as `matrix @ row`, which numpy hands to the BLAS library it loaded (Debian's
    reference BLAS unless an optimised one is installed).
The first --warmup queries are not timed. Prints one JSON object: the times in ms, the top k of the first --top timed
queries (by row index, best first), numpy's version and the BLAS library it loaded.
"""
import argparse
import json
import time

import numpy as np


def loaded_blas():
    with open("/proc/self/maps") as maps:
        names = {line.split()[-1].rsplit("/", 1)[-1] for line in maps if "blas" in line.lower() and "/" in line}
    return ", ".join(sorted(names)) or "no BLAS library mapped"


def select(scores, row, k):
    scores[row] = -np.inf
    best = np.argpartition(scores, -k)[-k:]
    return best[np.argsort(-scores[best], kind="stable")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--npy", required=True)
    parser.add_argument("--context-npy", required=True)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()

    vectors = np.load(args.npy)
    context = np.load(args.context_npy)
    assert vectors.dtype == np.float32 and vectors.ndim == 2 and context.shape == vectors.shape, (vectors.shape, context.shape)
    with open(args.queries) as f:
        rows = json.load(f)
    k = args.k

    def top_einsum(row):
        return select(np.einsum("ij,j->i", vectors, context[row]) + np.einsum("ij,j->i", context, vectors[row]), row, k)

    def top_blas(row):
        return select(vectors @ context[row] + context @ vectors[row], row, k)

    result = {"numpy": np.__version__, "blas": loaded_blas()}
    for name, top in (("einsum_ms", top_einsum), ("blas_ms", top_blas)):
        times = []
        for i, row in enumerate(rows):
            started = time.perf_counter()
            top(row)
            elapsed = (time.perf_counter() - started) * 1000
            if i >= args.warmup:
                times.append(elapsed)
        result[name] = times
    result["top"] = [top_einsum(row).tolist() for row in rows[args.warmup:args.warmup + args.top]]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
