"""Fit the fusion weights and the confidence terms on question files, and show the evidence.

The fused score these weights make orders the questions the learned ranker does not (English,
dated, follow-ups) and is what the confidence starts from; the calibrated probability the service
declines below is fitted by scripts/train_ranker.py.

    python scripts/tune_fusion.py --index var/index ../shared/eval/dev_seeds.jsonl \
        [--set cmrc=var/cmrc/index:var/cmrc/questions.jsonl] [--holdout var/cmrc-half/index:questions.jsonl]

For each question the candidate sentences and their features are computed once with the production
code (retrieval.ranking.search.Searcher); then every weighting of a grid, and reciprocal rank fusion for
comparison, is scored with the production passage selection and the evaluation's own hit rule
(evaluation.scoring.score). The values it reports go into retrieval/ranking/tuning.py. ``--holdout`` names an index built
*without* the paragraphs its questions come from: those questions are unanswerable there, which gives
the threshold many more negatives than the five of dev_seeds.jsonl; a ``--set`` made by
scripts/fact_absent.py adds the hard kind (topic present, fact cut out).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from evaluation.scoring import TOP_K, load_questions, score
from retrieval import Answer, Settings
from retrieval.index.store import load_index
from retrieval.ranking.quotes import select_passages
from retrieval.ranking.search import Candidates, Hit, Searcher, confidence, rank
from retrieval.ranking.tuning import TUNING, Tuning


def collect(index_dir: Path, qa_path: Path, embedder, limit: int | None = None):
    index = load_index(index_dir)
    searcher = Searcher(index, embedder)
    items = load_questions(qa_path)[:limit]
    return index, [(item, _candidates(searcher, item.question)) for item in items]


def _candidates(searcher: Searcher, question: str) -> Candidates:
    query = searcher.query(question)
    return searcher.candidates(query, searcher.vector(query))


def score_set(index, rows, tuning: Tuning, fuse=None):
    """hit@1, hit@5, MRR@5 over answerable items and (answerable?, confidence) of every item."""
    answers, tops = [], []
    for item, cand in rows:
        hits = rank(cand, tuning, learned=False) if fuse is None else fuse(cand)
        answers.append(Answer(item.question, True, select_passages(index, hits, TOP_K, tuning)))
        tops.append((item.answerable, confidence(hits, cand, tuning)))
    overall = score([item for item, _ in rows], answers, {}).overall()
    return overall["hit@1"] or 0.0, overall["hit@5"] or 0.0, overall["mrr@5"] or 0.0, tops


def rrf(cand: Candidates, k: int = 60):
    score = np.zeros(len(cand.ids))
    for col in (cand.dense, cand.chunk, cand.window_coverage + cand.context_coverage):
        order = np.argsort(-col, kind="stable")
        ranks = np.empty(len(col))
        ranks[order] = np.arange(1, len(col) + 1)
        score += 1.0 / (k + ranks)
    order = np.argsort(-score, kind="stable")[:60]
    return [Hit(int(cand.ids[i]), float(score[i])) for i in order]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("questions", help="dev questions (dev_seeds.jsonl format)")
    ap.add_argument("--index", required=True)
    ap.add_argument("--set", action="append", default=[], metavar="NAME=INDEX:QUESTIONS", help="another set to fit on")
    ap.add_argument("--holdout", metavar="INDEX:QUESTIONS", help="questions whose paragraphs the index lacks")
    ap.add_argument("--limit", type=int, help="at most this many questions per set")
    args = ap.parse_args()

    from retrieval.model.embedding import Embedder

    embedder = Embedder.from_settings(Settings.load())
    sets = {"dev": collect(Path(args.index), Path(args.questions), embedder, args.limit)}
    for spec in args.set:
        name, paths = spec.split("=", 1)
        idx, qa = paths.split(":", 1)
        sets[name] = collect(Path(idx), Path(qa), embedder, args.limit)
    holdout = None
    if args.holdout:
        idx, qa = args.holdout.split(":", 1)
        index, rows = collect(Path(idx), Path(qa), embedder, args.limit)
        holdout = (index, [(replace(item, kind="unanswerable"), c) for item, c in rows])

    grid = {
        "chunk": [0.25, 0.5, 1.0],
        "window_coverage": [0.0, 0.05, 0.1, 0.2],
        "context_coverage": [0.0, 0.05, 0.1],
        "answer_type": [0.02, 0.04, 0.08],
    }
    margins = [0.0, 0.02, 0.05, 0.1, 1.0]

    def evaluate(w: Tuning, margin: float):
        # competitive_floor=inf: rank as if no other article had a passage worth answering with (the
        # per-article cap then only orders, see retrieval.ranking.quotes); the threshold is fitted after
        tuned = replace(w, pair_margin=margin, competitive_floor=float("inf"))
        per = {name: score_set(index, rows, tuned)[:3] for name, (index, rows) in sets.items()}
        return (sum(h1 + 0.5 * h5 for h1, h5, _ in per.values()), w, margin, per)

    # weights first at a middle margin, then the margin for the ten best weightings
    results = [evaluate(replace(TUNING, **dict(zip(grid, v))), 1.0) for v in itertools.product(*grid.values())]
    results.sort(key=lambda r: -r[0])
    results += [evaluate(r[1], m) for r in results[:10] for m in margins if m != 1.0]
    results.sort(key=lambda r: -r[0])
    print("best weightings (dense=1):")
    for total, w, margin, per in results[:10]:
        desc = "  ".join(f"{n}: h1 {h1:.3f} h5 {h5:.3f} mrr {m:.3f}" for n, (h1, h5, m) in per.items())
        weights = " ".join(f"{k}={getattr(w, k)}" for k in grid)
        print(f"  {weights} pair_margin={margin}  {desc}")
    rrf_desc = "  ".join(
        f"{n}: h1 {h1:.3f} h5 {h5:.3f} mrr {m:.3f}"
        for n, (index, rows) in sets.items()
        for h1, h5, m, _ in [score_set(index, rows, TUNING, fuse=rrf)]
    )
    print(f"reciprocal rank fusion (k=60):  {rrf_desc}")

    # the threshold lives on the scale of the weights in production, whatever the grid preferred
    production, margin = TUNING, TUNING.pair_margin
    named = {**sets, **({"holdout": holdout} if holdout else {})}
    print(f"\nconfidence = best fused - unknown_penalty * unknown keyword share - type_penalty * [best sentence "
          f"lacks the asked type] - attribute_penalty * [its window lacks the attribute asked about] "
          f"+ crosslingual * [English question]; pair_margin={margin}")
    for type_penalty, crosslingual in itertools.product([0.0, 0.1, 0.2, 0.3], [0.0, 0.1]):
        w = replace(production, type_penalty=type_penalty, crosslingual=crosslingual)
        tops = {name: score_set(index, rows, w)[3] for name, (index, rows) in named.items()}
        pos = np.array([s for t in tops.values() for ok, s in t if ok])
        print(f"  type_penalty={type_penalty} crosslingual={crosslingual}:")
        for t in np.arange(np.floor(np.percentile(pos, 1) * 20) / 20, pos.max(), 0.01):
            if (pos >= t).mean() < 0.94:
                break
            cells = []
            for name, scores in tops.items():
                ans = [s >= t for ok, s in scores if ok]
                neg = [s < t for ok, s in scores if not ok]
                cells.append(name + (f" answered {np.mean(ans):.3f}" if ans else "") + (f" declined {np.mean(neg):.3f}" if neg else ""))
            print(f"    threshold {t:.2f}: " + "  ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
