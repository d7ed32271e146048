"""Which approximate index for the sentence vectors: FAISS IVF-SQ8 (what the build writes) against HNSW.

    python scripts/bench_ann.py --vectors /tmp/synth/1000000/new/sentence_vectors.npy \\
        --questions evaluation_data/seeds_heldout.jsonl
    python scripts/bench_ann.py --vectors /tmp/cmrc/index/sentence_vectors.npy \\
        --questions /tmp/cmrc/questions.jsonl --limit 300

For each candidate index over the ``--vectors`` matrix: build time, size in memory (what a search
keeps resident), search p50/p95 per question on one thread, and recall@5 against exact search,
all through the same exact rescoring the searcher applies (``VectorSearch.search``). Questions are
embedded with the project's model. A benchmark, not a test: on a shared 2-core machine, compare in
one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectors", type=Path, required=True, help="an index's sentence_vectors.npy")
    ap.add_argument("--questions", type=Path, required=True, help="JSONL with a 'question' field per line")
    ap.add_argument("--limit", type=int, default=200, help="at most this many questions")
    ap.add_argument("--probe-share", type=float, nargs="+", default=[0.05, 0.1, 0.3], help="IVF shares of lists probed")
    ap.add_argument("--hnsw-m", type=int, default=32)
    ap.add_argument("--ef", type=int, nargs="*", default=[32, 64, 128], help="HNSW efSearch values to try (none: no HNSW)")
    args = ap.parse_args()

    import faiss
    import numpy as np

    from retrieval.index.terms import mapped
    from retrieval.index.vectors import VectorSearch, approximate_index
    from retrieval.model.embedding import Embedder, use_threads
    from retrieval.settings import Settings

    matrix = mapped(args.vectors)
    lines = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [q["question"] for q in lines][: args.limit]
    embedder = Embedder.from_settings(Settings())
    queries = embedder.encode_queries(questions)
    exact = VectorSearch(matrix, None)
    use_threads("serve")
    truth = [set(exact.search(q, 5).tolist()) for q in queries]
    print(f"{len(matrix)} vectors, {len(queries)} questions", file=sys.stderr, flush=True)

    def measure(label: str, index, build_s: float) -> dict:
        search = VectorSearch(matrix, index)
        times, recall = [], []
        for q, want in zip(queries, truth):
            t = time.perf_counter()
            got = search.search(q, 5)
            times.append(time.perf_counter() - t)
            recall.append(len(want & set(got.tolist())) / 5)
        times.sort()
        size = len(faiss.serialize_index(index)) / 2**20
        row = {"index": label, "build_s": round(build_s, 1), "memory_mb": round(size), "recall_at_5": round(statistics.fmean(recall), 3),
               "p50_ms": round(1000 * times[len(times) // 2], 2), "p95_ms": round(1000 * times[int(0.95 * (len(times) - 1))], 2)}
        print(json.dumps(row), file=sys.stderr, flush=True)
        return row

    rows = []
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # builds get every core; searches run on one below
    t = time.perf_counter()
    ivf = approximate_index(np.asarray(matrix))
    built = time.perf_counter() - t
    faiss.omp_set_num_threads(1)
    lists = faiss.extract_index_ivf(ivf)
    for share in args.probe_share:
        lists.nprobe = max(1, round(share * lists.nlist))
        rows.append(measure(f"IVF-SQ8 (nlist {lists.nlist}, nprobe {lists.nprobe})", ivf, built))
    del ivf, lists
    if args.ef:
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        t = time.perf_counter()
        hnsw = faiss.IndexHNSWSQ(matrix.shape[1], faiss.ScalarQuantizer.QT_8bit, args.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 80
        hnsw.train(np.asarray(matrix[:: max(1, len(matrix) // 100_000)]))
        for start in range(0, len(matrix), 100_000):
            hnsw.add(np.ascontiguousarray(matrix[start : start + 100_000]))
        built = time.perf_counter() - t
        faiss.omp_set_num_threads(1)
        for ef in args.ef:
            hnsw.hnsw.efSearch = ef
            rows.append(measure(f"HNSW-SQ8 (M {args.hnsw_m}, efSearch {ef})", hnsw, built))
    print(f"{'index':<40} {'build s':>8} {'MB':>6} {'recall@5':>8} {'p50 ms':>7} {'p95 ms':>7}")
    for r in rows:
        print(f"{r['index']:<40} {r['build_s']:>8} {r['memory_mb']:>6} {r['recall_at_5']:>8} {r['p50_ms']:>7} {r['p95_ms']:>7}")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
