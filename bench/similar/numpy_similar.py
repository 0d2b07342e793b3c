"""The similar bench's baseline: a numpy brute-force top-k by cosine over the same matrix and the same query rows.

Run by Pharos.Bench.Results (bench/similar/run.sh). Reads a float32 .npy (rows = files) and a JSON list of query
rows; times each query with time.perf_counter, in three forms:
  - normalised, einsum: the rows are normalised once (timed apart, reported as normalise_ms), then per query one
    matrix-vector product with numpy's own SIMD loops (einsum), the query row set to -inf, argpartition for the top k
    (no negated copy) and a sort of those k;
  - normalised, BLAS: the same with the product as `matrix @ row`, which numpy hands to the BLAS library it loaded
    (Debian's reference BLAS unless an optimised one is installed, and then slower than einsum);
  - norms each query: what SimilarFiles.Top does per query, i.e. every row's norm computed again (einsum, no
    temporary matrix), the product divided by the norms, then the same selection.
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
    parser.add_argument("--queries", required=True)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()

    matrix = np.load(args.npy)
    assert matrix.dtype == np.float32 and matrix.ndim == 2, (matrix.dtype, matrix.shape)
    with open(args.queries) as f:
        rows = json.load(f)
    k = args.k

    started = time.perf_counter()
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))
    normalised = matrix / np.where(norms == 0, 1, norms)[:, None]
    normalise_ms = (time.perf_counter() - started) * 1000

    def top_einsum(row):
        return select(np.einsum("ij,j->i", normalised, normalised[row]), row, k)

    def top_blas(row):
        return select(normalised @ normalised[row], row, k)

    def top_norms_each_query(row):
        row_norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))
        denominators = row_norms * row_norms[row]
        products = np.einsum("ij,j->i", matrix, matrix[row])
        scores = np.divide(products, denominators, out=np.zeros(len(matrix), np.float32), where=denominators != 0)
        return select(scores, row, k)

    result = {"normalise_ms": normalise_ms, "numpy": np.__version__, "blas": loaded_blas()}
    forms = (("normalised_einsum_ms", top_einsum), ("normalised_blas_ms", top_blas), ("norms_each_query_ms", top_norms_each_query))
    for name, top in forms:
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
