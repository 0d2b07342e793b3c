#!/usr/bin/python3
"""Link prediction on real import graphs: Pharos' embeddings, gensim and classic scores on the same held-out pairs.

For each repository graph (`pharos graph DIR --json`: nodes, directed edges) and each of --splits random splits:
the edges are taken undirected, deduplicated, without self-loops; --test-fraction of them are held out as positives,
as many negatives are drawn uniformly among all node pairs that are not edges of the FULL graph, and every method
learns from the rest (the train graph) and scores the same pairs, evaluated here by the same code. "link" is
skip-gram's own estimate, the link score in(a)·out(b) + in(b)·out(a) (input and context vectors; `pharos train` writes
the latter as PREFIX.context.f32, gensim keeps them as syn1neg), "cosine" the cosine of the input vectors:

  ours              `pharos train --graph train.tsv` with its defaults, link score: what `similar` ranks by
  ours-cosine       the same run, cosine
  ours-ref          `pharos train` with the reference worker's settings spelled out (word2vec's negatives,
                    --ns-exponent 0.75), cosine; this run also writes its walks (--walks-out) for the next row
  ours-ref-link     the same run, link score
  gensim-our-walks  gensim Word2Vec (sg=1, hs=0, negative=5, window=10, 64 dims, min_count=1, sample=0, 10 epochs)
                    on ours-ref's walks, cosine: the same corpus, another skip-gram
  gensim-ref-walks  the same gensim on walks from the reference walker below, cosine: both halves someone else's
  gensim-ref-walks-link            the same model, link score
  gensim-ref-walks-link-uniform    gensim with ns_exponent=0 on the reference walks, link score: our defaults' twin
  degree-product, common-neighbours, adamic-adar   on the train graph

Small graphs get more splits (at least --min-held-out held-out edges in all), so that a mean is not one split's luck;
the paired table gives, per repository, the mean difference of two methods over the same splits and its standard
error.

AUC is Mann-Whitney's (a tie counts half); AP is average precision with tied scores taken as one threshold (as
scikit-learn computes it). Seconds: for ours, the whole `pharos train` process (start-up, reading the edge list, walks,
training, writing the files); for gensim-our-walks, reading the walk file and Word2Vec (vocabulary + training); for
gensim-ref-walks, the Python walker and Word2Vec; for the scores, scoring the pairs.
"""
import argparse
import csv
import json
import math
import os
import random
import subprocess
import sys
import time

import numpy as np
import gensim
from gensim.models import Word2Vec

# The reference worker's settings (ours-ref and both gensim rows).
REF = dict(dims=64, window=10, negative=5, epochs=10, walk_length=20, walks_per_node=10, p=1.0, q=1.0, ns_exponent=0.75)
HEURISTICS = ["degree-product", "common-neighbours", "adamic-adar"]
METHODS = ["ours", "ours-cosine", "ours-ref", "ours-ref-link", "gensim-our-walks", "gensim-ref-walks",
           "gensim-ref-walks-link", "gensim-ref-walks-link-uniform"] + HEURISTICS
# (a, b, what the difference says): a - b per split, over the same held-out pairs.
PAIRS = [("ours", "gensim-ref-walks-link-uniform", "our defaults against gensim at the same settings"),
         ("ours", "gensim-ref-walks", "our defaults against gensim as it is usually used"),
         ("ours-ref", "gensim-ref-walks", "equal settings, word2vec's: our walks and skip-gram against the reference"),
         ("ours-ref", "gensim-our-walks", "the same walks: our skip-gram against gensim's")]


def log(msg):
    print(f"[quality-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def load_graph(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    nodes = doc["nodes"]
    index = {name: i for i, name in enumerate(nodes)}
    edges = set()
    for a, b in doc["edges"]:
        u, v = index[a], index[b]
        if u != v:
            edges.add((min(u, v), max(u, v)))
    return nodes, sorted(edges)


def split(n, edges, fraction, rng):
    """Held-out positives, as many non-edge negatives (distinct unordered pairs), and the train edges."""
    order = rng.permutation(len(edges))
    k = max(1, int(round(fraction * len(edges))))
    test = [edges[i] for i in order[:k]]
    train = [edges[i] for i in order[k:]]
    full = set(edges)
    if n * (n - 1) // 2 - len(full) < k:
        raise SystemExit(f"graph too dense for {k} negatives")
    negatives = set()
    while len(negatives) < k:
        u, v = (int(x) for x in rng.integers(0, n, size=2))
        if u == v:
            continue
        pair = (min(u, v), max(u, v))
        if pair not in full:
            negatives.add(pair)
    return test, sorted(negatives), train


def auc(pos, neg):
    """Mann-Whitney U / (|pos| |neg|), ties counting half (average ranks)."""
    scores = np.concatenate([pos, neg])
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    # Average rank of each distinct value (1-based): the ranks its ties share.
    ends = np.cumsum(counts)
    avg = ends - (counts - 1) / 2.0
    ranks = avg[inverse]
    n_pos, n_neg = len(pos), len(neg)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def average_precision(pos, neg):
    """Σ (R_k − R_{k−1}) P_k over the distinct score thresholds, from the highest down."""
    scores = np.concatenate([pos, neg])
    labels = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    order = np.argsort(-scores, kind="mergesort")
    scores, labels = scores[order], labels[order]
    tp = np.cumsum(labels)
    # The last position of each run of equal scores is where that threshold's counts are read.
    last = np.r_[np.nonzero(np.diff(scores))[0], len(scores) - 1]
    tp = tp[last]
    precision = tp / (last + 1)
    recall = tp / len(pos)
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def cosine_scores(vectors, pairs):
    norms = np.linalg.norm(vectors, axis=1)
    norms[norms == 0] = 1.0
    unit = vectors / norms[:, None]
    a = np.array([u for u, _ in pairs]), np.array([v for _, v in pairs])
    return np.einsum("ij,ij->i", unit[a[0]], unit[a[1]])


def link_scores(vectors, context, pairs):
    """Skip-gram's estimate of how much more often each end occurs near the other than chance, both ways."""
    a, b = np.array([u for u, _ in pairs]), np.array([v for _, v in pairs])
    return np.einsum("ij,ij->i", vectors[a], context[b]) + np.einsum("ij,ij->i", vectors[b], context[a])


def adjacency(n, edges):
    adj = [set() for _ in range(n)]
    for u, v in edges:
        adj[u].add(v)
        adj[v].add(u)
    return adj


def heuristic(name, adj, pairs):
    if name == "degree-product":
        return np.array([len(adj[u]) * len(adj[v]) for u, v in pairs], dtype=float)
    if name == "common-neighbours":
        return np.array([len(adj[u] & adj[v]) for u, v in pairs], dtype=float)
    # A common neighbour has degree ≥ 2, so log(degree) > 0.
    return np.array([sum(1.0 / math.log(len(adj[w])) for w in adj[u] & adj[v]) for u, v in pairs])


def reference_walks(adj, seed):
    """Per round, one walk from every node in node order; each step a uniform neighbour in the train graph."""
    rng = random.Random(seed)
    neighbours = [sorted(s) for s in adj]
    walks = []
    for _ in range(REF["walks_per_node"]):
        for start in range(len(adj)):
            walk = [start]
            while len(walk) < REF["walk_length"]:
                options = neighbours[walk[-1]]
                if not options:
                    break
                walk.append(options[rng.randrange(len(options))])
            walks.append([str(x) for x in walk])
    return walks


def gensim_vectors(sentences, n, threads, seed, ns_exponent=0.75):
    """The input vectors (wv) and the context vectors (syn1neg), row i = node i."""
    model = Word2Vec(sentences=sentences, sg=1, hs=0, negative=REF["negative"], window=REF["window"],
                     vector_size=REF["dims"], min_count=1, sample=0, epochs=REF["epochs"], workers=threads, seed=seed,
                     ns_exponent=ns_exponent)
    vectors = np.zeros((n, REF["dims"]), dtype=np.float32)
    context = np.zeros((n, REF["dims"]), dtype=np.float32)
    for i in range(n):
        row = model.wv.key_to_index.get(str(i))
        if row is not None:  # every node starts walks, so none is missing; a missing one would score 0
            vectors[i] = model.wv.vectors[row]
            context[i] = model.syn1neg[row]
    return vectors, context


def pharos_vectors(pharos, train_tsv, prefix, n, seed, threads, extra):
    """Runs `pharos train`; rows come back in the order of the JSON's nodes, whose names are our node indices."""
    cmd = pharos + ["train", "--graph", train_tsv, "--out", prefix, "--seed", str(seed), "--threads", str(threads)] + extra
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"pharos train failed ({done.returncode}): {done.stderr.strip()}")
    with open(prefix + ".json", encoding="utf-8") as f:
        meta = json.load(f)
    rows = [int(name) for name in meta["nodes"]]

    def read(path):
        out = np.zeros((n, meta["dims"]), dtype=np.float32)
        out[rows] = np.fromfile(path, dtype="<f4").reshape(len(meta["nodes"]), meta["dims"])
        return out
    return read(prefix + ".f32"), read(prefix + ".context.f32"), rows


def run_split(repo, nodes, edges, k, args, work):
    n = len(nodes)
    seed = args.seed + k
    rng = np.random.default_rng(seed)
    test, negatives, train = split(n, edges, args.test_fraction, rng)
    pairs = test + negatives
    n_pos = len(test)
    d = os.path.join(work, f"{repo}-{k}")
    os.makedirs(d, exist_ok=True)
    train_tsv = os.path.join(d, "train.tsv")
    with open(train_tsv, "w", encoding="utf-8") as f:
        # A self-loop line names a node without adding an edge: every node, even one the split left isolated, gets a
        # row (row i = node i), as the reference walker gives it a one-node walk.
        for i in range(n):
            f.write(f"{i}\t{i}\n")
        for u, v in train:
            f.write(f"{u}\t{v}\n")
    adj = adjacency(n, train)
    rows = []

    def record(method, scores, seconds):
        scores = np.asarray(scores, dtype=float)
        rows.append(dict(repo=repo, split=k, method=method, auc=auc(scores[:n_pos], scores[n_pos:]),
                         ap=average_precision(scores[:n_pos], scores[n_pos:]), seconds=seconds))

    t = time.perf_counter()
    vectors, context, order = pharos_vectors(args.pharos, train_tsv, os.path.join(d, "ours"), n, seed, args.threads, [])
    seconds = time.perf_counter() - t
    record("ours", link_scores(vectors, context, pairs), seconds)
    record("ours-cosine", cosine_scores(vectors, pairs), seconds)
    assert order == list(range(n)), "pharos rows are not in node order"

    walks_file = os.path.join(d, "walks.txt")
    ref_flags = ["--dims", REF["dims"], "--context", REF["window"], "--negative", REF["negative"], "--epochs",
                 REF["epochs"], "--walk-length", REF["walk_length"], "--walks-per-node", REF["walks_per_node"],
                 "--p", REF["p"], "--q", REF["q"], "--ns-exponent", REF["ns_exponent"], "--walks-out", walks_file]
    t = time.perf_counter()
    vectors, context, order = pharos_vectors(args.pharos, train_tsv, os.path.join(d, "ours-ref"), n, seed, args.threads,
                                             [str(x) for x in ref_flags])
    seconds = time.perf_counter() - t
    record("ours-ref", cosine_scores(vectors, pairs), seconds)
    record("ours-ref-link", link_scores(vectors, context, pairs), seconds)

    # Our walks name rows; rows are node indices here (asserted above), so the tokens are node indices too.
    t = time.perf_counter()
    with open(walks_file, encoding="ascii") as f:
        sentences = [line.split() for line in f if line.strip()]
    vectors, _ = gensim_vectors(sentences, n, args.threads, seed)
    record("gensim-our-walks", cosine_scores(vectors, pairs), time.perf_counter() - t)

    t = time.perf_counter()
    walks = reference_walks(adj, seed)
    vectors, context = gensim_vectors(walks, n, args.threads, seed)
    seconds = time.perf_counter() - t
    record("gensim-ref-walks", cosine_scores(vectors, pairs), seconds)
    record("gensim-ref-walks-link", link_scores(vectors, context, pairs), seconds)

    t = time.perf_counter()
    vectors, context = gensim_vectors(walks, n, args.threads, seed, ns_exponent=0.0)
    record("gensim-ref-walks-link-uniform", link_scores(vectors, context, pairs), time.perf_counter() - t)

    for method in HEURISTICS:
        t = time.perf_counter()
        scores = heuristic(method, adj, pairs)
        record(method, scores, time.perf_counter() - t)
    return rows, dict(test=n_pos, train=len(train), isolated_in_train=sum(1 for s in adj if not s))


def paired(repo, rows):
    """Per pair of PAIRS: the mean over splits of a's AUC minus b's on the same split, ± its standard error."""
    by_split = {}
    for r in rows:
        by_split.setdefault(r["split"], {})[r["method"]] = r["auc"]
    out = []
    for a, b, _ in PAIRS:
        d = np.array([m[a] - m[b] for m in by_split.values() if a in m and b in m])
        se = d.std(ddof=1) / math.sqrt(len(d)) if len(d) > 1 else float("nan")
        out.append(dict(repo=repo, a=a, b=b, mean=float(d.mean()), se=float(se), splits=len(d)))
    return out


def paired_table(results):
    lines = ["### Paired differences in AUC (same splits)", "",
             "| repository | " + " | ".join(f"{a} − {b}" for a, b, _ in PAIRS) + " |",
             "|---|" + "---|" * len(PAIRS)]
    for repo in dict.fromkeys(r["repo"] for r in results):
        cells = [f"{x['mean']:+.4f} ± {x['se']:.4f}" for x in results if x["repo"] == repo]
        lines.append(f"| {repo} | " + " | ".join(cells) + " |")
    lines += [""] + [f"- {a} − {b}: {why}" for a, b, why in PAIRS]
    return "\n".join(lines) + "\n"


def table(repo, info, rows):
    lines = [f"### {repo}", "",
             f"{info['nodes']} files, {info['edges']} undirected edges ({info['isolated']} files without any); "
             f"{info['splits']} splits of {info['test']} held-out edges + as many non-edges, "
             f"{info['isolated_in_train']:.0f} files isolated in an average train graph.", "",
             "| method | AUC | AP | seconds |", "|---|---|---|---|"]
    for method in METHODS:
        r = [x for x in rows if x["method"] == method]
        a, p, s = (np.array([x[key] for x in r]) for key in ("auc", "ap", "seconds"))
        lines.append(f"| {method} | {a.mean():.4f} ± {a.std():.4f} | {p.mean():.4f} ± {p.std():.4f} | "
                     f"{s.mean():.2f} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--graph", action="append", required=True, metavar="NAME=GRAPH.json")
    ap.add_argument("--pharos", required=True, help="the command that runs pharos, e.g. 'dotnet .../pharos.dll'")
    ap.add_argument("--work", required=True)
    ap.add_argument("--out-md", required=True)
    ap.add_argument("--out-csv", required=True)
    ap.add_argument("--out-json", required=True)
    ap.add_argument("--splits", type=int, default=5)
    ap.add_argument("--min-held-out", type=int, default=500,
                    help="more splits for small graphs, until the splits hold this many held-out edges in all")
    ap.add_argument("--test-fraction", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--header", default="", help="markdown put above the tables (machine, versions)")
    args = ap.parse_args()
    args.pharos = args.pharos.split()

    all_rows, sections, differences = [], [], []
    for spec in args.graph:
        repo, path = spec.split("=", 1)
        nodes, edges = load_graph(path)
        if len(edges) < 10:
            log(f"skipping {repo}: {len(edges)} edges")
            continue
        touched = {x for e in edges for x in e}
        held_out = max(1, int(round(len(edges) * args.test_fraction)))
        splits = max(args.splits, math.ceil(args.min_held_out / held_out))
        info = dict(nodes=len(nodes), edges=len(edges), isolated=len(nodes) - len(touched), splits=splits)
        log(f"{repo}: {len(nodes)} nodes, {len(edges)} undirected edges, {splits} splits")
        rows, extra = [], []
        for k in range(splits):
            r, e = run_split(repo, nodes, edges, k, args, args.work)
            rows += r
            extra.append(e)
            log(f"{repo} split {k}: " + ", ".join(f"{x['method']} {x['auc']:.3f}" for x in r))
        info["test"] = extra[0]["test"]
        info["isolated_in_train"] = float(np.mean([e["isolated_in_train"] for e in extra]))
        all_rows += rows
        differences += paired(repo, rows)
        sections.append(table(repo, info, rows))

    text = args.header + "\n\n" + "\n".join(sections) + "\n" + paired_table(differences)
    with open(args.out_md, "w", encoding="utf-8") as f:
        f.write(text)
    print(text)
    with open(args.out_csv, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["repo", "split", "method", "auc", "ap", "seconds"])
        w.writeheader()
        w.writerows(all_rows)
    with open(args.out_json, "w", encoding="utf-8") as f:
        json.dump(dict(rows=all_rows, paired=differences), f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
