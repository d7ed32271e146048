"""Train the ranker and the "not found" calibrator on DRCD; write the model and its report.

    PYTHONPATH=. python scripts/train_ranker.py prepare   # DRCD → var/train/drcd (corpus, split, index)
    PYTHONPATH=. python scripts/train_ranker.py fit \
        --set seeds=var/index:evaluation_data/seeds_heldout.jsonl \
        --set seeds2=var/index:evaluation_data/seeds_heldout2.jsonl \
        --set seeds3=var/index:evaluation_data/seeds_heldout3.jsonl \
        --set seeds-large=var/mixed/index:evaluation_data/seeds_heldout.jsonl \
        --set reader=var/train/drcd/index:evaluation_data/drcd_reader.jsonl \
        --set cmrc=var/cmrc/index:var/cmrc/questions.jsonl   # validation sets, never trained on

(``var/mixed/index``: the seeds among DRCD's and CMRC's 1,754 articles, README "The seventh pass".)

``prepare`` converts DRCD to simplified Chinese, splits it by article (evaluation/drcd.py) and builds
its index with the production build (4 minutes of embedding on 2 cores). ``fit`` asks every
question through the production search (retrieval.ranking.search: the same candidates and feature
columns a question gets in the service; cached in var/train/drcd/features-*.npz, 15 minutes the
first time), trains a LightGBM lambdarank model on the train split with fixed seeds,
cross-validated by article, Platt-scales the service's confidence on the held-out split, compares
it with a logistic model of the best sentence's features, and writes retrieval/ranking/model/
(ranker.txt, calibrator.json, REPORT.md with the data hashes and every figure). DRCD: CC BY-SA 3.0,
Delta Research Center. The build and the tests never train.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "train"
DRCD_FILES = [SHARED / "DRCD_dev.json", SHARED / "DRCD_test.json"]


def prepare(out: Path) -> int:
    from evaluation.drcd import convert
    from retrieval import Settings
    from retrieval.service import build

    counts = convert(DRCD_FILES, out)
    print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    settings = Settings.load(corpus_paths=[out / "corpus.jsonl"], index_dir=out / "index")
    report = build(settings, progress=print)
    print(report)
    return 0


def collect(index_dir: Path, qa_path: Path, embedder, cache: Path):
    """Every question of ``qa_path`` asked through the production search of ``index_dir``: its
    feature rows (retrieval.ranking.ranker.features), their labels (1: the sentence is in the gold
    article and holds an answer, by the evaluation's rule), the hand-weighted fused score (the
    ranking this model replaces) and the sentence ids; cached in ``cache`` (an .npz), which is
    used only for the same index version, questions and feature columns."""
    import hashlib

    import numpy as np

    from evaluation.scoring import load_questions, norm
    from retrieval.index.store import check_facts, load_index
    from retrieval.ranking.ranker import FEATURES, features
    from retrieval.ranking.search import Searcher, rank

    index = load_index(index_dir)
    check_facts(index.manifest, index_dir)
    items = load_questions(qa_path)
    key = "|".join([str(index.directory.resolve()), index.manifest.get("built_at", ""),
                    hashlib.sha256(qa_path.read_bytes()).hexdigest(), ",".join(FEATURES), "attribute"])
    if cache.exists():
        data = np.load(cache)
        if "key" in data.files and str(data["key"]) == key:
            return index, items, {k: data[k] for k in data.files if k != "key"}
        print(f"  {cache.name}: made for another index, question file or features; collected again", flush=True)
    searcher = Searcher(index, embedder)
    xs, labels, fused, ids, groups, attributes = [], [], [], [], [], []
    for n, item in enumerate(items):
        query = searcher.query(item.question)
        cand = searcher.candidates(query, searcher.vector(query))
        x = features(cand)
        gold = np.zeros(len(cand.ids), dtype=np.int8)
        if item.answers:
            answers = [norm(a) for a in item.answers]
            for j, i in enumerate(cand.ids.tolist()):
                source = index.articles.meta["source"][index.sentences[i].article]
                if source == item.source and any(a in norm(index.sentence_text(i)) for a in answers):
                    gold[j] = 1
        hand = {h.sentence: h.score for h in rank(cand, learned=False)}  # the fused score, whatever the model
        xs.append(x)
        labels.append(gold)
        fused.append(np.array([hand[i] for i in cand.ids.tolist()], dtype=np.float32))
        ids.append(cand.ids)
        attributes.append(cand.attribute)
        groups.append(np.full(len(cand.ids), n, dtype=np.int32))
        if n % 500 == 0:
            print(f"  {qa_path.name}: {n}/{len(items)}", flush=True)
    data = {
        "x": np.concatenate(xs), "label": np.concatenate(labels), "fused": np.concatenate(fused),
        "ids": np.concatenate(ids), "question": np.concatenate(groups), "attribute": np.concatenate(attributes),
    }
    np.savez(cache, key=np.array(key), **data)
    return index, items, data


SEED = 7
PARAMS = {  # LightGBM lambdarank; fixed seeds, one thread: the same model on every machine
    "objective": "lambdarank", "metric": "ndcg", "eval_at": [1, 5], "lambdarank_truncation_level": 20,
    "learning_rate": 0.05, "num_leaves": 7, "min_data_in_leaf": 50, "feature_fraction": 0.8,
    "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0, "seed": SEED, "deterministic": True,
    "num_threads": 1, "verbose": -1,
}
ROUNDS = 600


def spans(data):
    """(question number, first row, end row) of each question's candidates in ``data``."""
    import numpy as np

    q = data["question"]
    bounds = np.flatnonzero(np.diff(q)) + 1
    return [(int(q[s]), int(s), int(e)) for s, e in zip(np.r_[0, bounds], np.r_[bounds, len(q)])]


def grouped(data, keep=None):
    """Rows and group sizes for LightGBM: the questions with a positive (of ``keep``, if given)."""
    import numpy as np

    chosen = [(s, e) for n, s, e in spans(data) if data["label"][s:e].any() and (keep is None or n in keep)]
    rows = np.concatenate([np.arange(s, e) for s, e in chosen]) if chosen else np.zeros(0, int)
    return rows, [e - s for s, e in chosen]


def train(data, keep=None, rounds: int = ROUNDS):
    import lightgbm

    from retrieval.ranking.ranker import FEATURES

    rows, sizes = grouped(data, keep)
    ds = lightgbm.Dataset(data["x"][rows], data["label"][rows], group=sizes, feature_name=list(FEATURES))
    return lightgbm.train(PARAMS, ds, num_boost_round=rounds)


def orders(data, scores):
    """For each question, its candidates' rows best first under ``scores``."""
    import numpy as np

    return {n: s + np.argsort(-scores[s:e], kind="stable") for n, s, e in spans(data)}


def evaluate(index, items, data, scores):
    """The evaluation's own report (passages by the production quote selection, the hit rule of
    ../shared/eval/README.md) for the ranking ``scores``; every question answered."""
    from evaluation.scoring import TOP_K, score
    from retrieval import Answer
    from retrieval.ranking.quotes import select_passages
    from retrieval.ranking.search import Hit, Searcher

    searcher = Searcher(index, embedder=None)  # to read the questions: nothing is embedded here
    ranked = orders(data, scores)
    answers = []
    for n, item in enumerate(items):
        rows = ranked.get(n, [])
        hits = [Hit(int(data["ids"][r]), float(data["fused"][r])) for r in rows]
        query = searcher.query(item.question)
        passages = select_passages(index, hits, TOP_K, holds=searcher.holds(query), account=query.account)
        answers.append(Answer(item.question, True, passages))
    return score(items, answers, {}), ranked


FOLDS = 5


def article_of(item) -> str:
    """The DRCD article a question is about (its id ``drcd-<article>-<paragraph>-<n>``): the unit of
    every split, negatives included."""
    return item.id.split("-")[1]


def fold_of(article: str) -> int:
    return int(hashlib.md5(article.encode()).hexdigest(), 16) % FOLDS


def best_first(ranked, n_items: int):
    """(question number, its candidates' rows best first) for each of the ``n_items`` questions
    that has a candidate under the ranking ``ranked`` (:func:`orders`)."""
    for n in range(n_items):
        rows = ranked.get(n)
        if rows is not None and len(rows):
            yield n, rows


def typed(x, col) -> bool:
    """Whether a candidate's feature row ``x`` holds the asked kind, itself or in the neighbour its
    quote may join (as retrieval.ranking.search.confidence reads it)."""
    return bool(x[col["answer_type"]] or x[col["neighbour_type"]])


def confidences(data, ranked, n_items: int):
    """The production confidence (retrieval.ranking.search.confidence) of each question's best
    sentence under the ranking ``ranked``, from the cached feature rows (a question without a
    keyword, or none of whose keywords the corpus holds, is not ``matched``: 0)."""
    import numpy as np

    from retrieval.ranking.ranker import FEATURES
    from retrieval.ranking.search import confidence_of

    col = {name: i for i, name in enumerate(FEATURES)}
    out = np.zeros(n_items)
    for n, rows in best_first(ranked, n_items):
        x = data["x"][rows[0]]
        if x[col["keywords"]] == 0 or x[col["unknown"]] >= 1.0:
            continue
        out[n] = confidence_of(float(data["fused"][rows[0]]), float(x[col["unknown"]]), bool(x[col["asks_type"]]),
                               typed(x, col), bool(x[col["english"]]), bool(data["attribute"][rows[0]]))
    return out


def learned_order(model, data):
    """What the service orders by: the model's scores, the fused score for English questions."""
    import numpy as np

    from retrieval.ranking.ranker import FEATURES

    english = data["x"][:, FEATURES.index("english")] > 0
    return np.where(english, data["fused"], model.predict(data["x"], num_threads=2))


def fit(args) -> int:
    import lightgbm
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from retrieval import Settings
    from retrieval.model.embedding import Embedder
    from retrieval.ranking.ranker import FEATURES, MODEL_DIR

    out: Path = args.out
    embedder = Embedder.from_settings(Settings.load())
    sets = {
        "drcd-train": collect(out / "index", out / "train.jsonl", embedder, out / "features-train.npz"),
        "drcd-heldout": collect(out / "index", out / "heldout.jsonl", embedder, out / "features-heldout.npz"),
    }
    for spec in args.set:
        name, paths = spec.split("=", 1)
        idx, qa = paths.split(":", 1)
        sets[name] = collect(Path(idx), Path(qa), embedder, out / f"features-{name}.npz")
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    def row(name: str, ranking: str, report) -> str:
        o = report.overall()
        kinds = " ".join(
            f"{k} {v['hit@1']:.3f}/{v['hit@5']:.3f}" for k, v in report.per_kind().items() if k != "unanswerable"
        )
        return f"| {name} | {ranking} | {o['hit@1']:.3f} | {o['hit@5']:.3f} | {o['mrr@5']:.3f} | {kinds} |"

    # --- the ranker: cross-validated by article on the train split, then held out ---------------
    index, items, data = sets["drcd-train"]
    folds = np.array([fold_of(article_of(item)) for item in items])
    oof = np.zeros(len(data["x"]))
    for f in range(FOLDS):
        model = train(data, keep=set(np.flatnonzero(folds != f).tolist()))
        rows = np.isin(data["question"], np.flatnonzero(folds == f))
        oof[rows] = model.predict(data["x"][rows], num_threads=2)
    say("## Ranking: hit@1 / hit@5 / MRR@5 of answerable questions, every question answered")
    say()
    say("Passages as the service quotes them; English questions keep the hand order (DRCD has none);")
    say("two-hop and date boosts are the service's, not in these figures.")
    say()
    say("| set | ranking | hit@1 | hit@5 | MRR@5 | per kind hit@1/hit@5 |")
    say("|---|---|---|---|---|---|")
    say(row("drcd-train, 5-fold CV by article", "hand weights", evaluate(index, items, data, data["fused"])[0]))
    say(row("drcd-train, 5-fold CV by article", "lambdarank (out of fold)", evaluate(index, items, data, oof)[0]))
    final = train(data)
    learned = {}
    for name, (idx, its, d) in sets.items():
        if name == "drcd-train":
            continue
        learned[name] = evaluate(idx, its, d, learned_order(final, d))
        say(row(name, "hand weights", evaluate(idx, its, d, d["fused"])[0]))
        say(row(name, "lambdarank", learned[name][0]))
    say()
    gain = final.feature_importance(importance_type="gain")
    say("Feature gain (share): " + ", ".join(
        f"{n} {g / gain.sum():.3f}" for n, g in sorted(zip(FEATURES, gain), key=lambda t: -t[1])))

    # --- the calibrator: Platt scaling of the confidence, fitted on held-out DRCD --------------
    def judged(name):
        idx, its, d = sets[name]
        report, ranked = learned[name]
        conf = confidences(d, ranked, len(its))
        hit1 = np.array([int(r.hit_rank == 1) for r in report.results])
        negative = np.array([not item.answerable for item in its])
        return conf, hit1, negative

    conf, hit1, _ = judged("drcd-heldout")
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(conf[:, None], hit1)
    slope, intercept = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    say()
    say(f"## Calibrator: P(first quote holds the answer) = sigmoid({slope:.3f} × confidence {intercept:+.3f})")
    say()
    say(f"Platt scaling of the service's confidence, fitted on {len(hit1)} held-out DRCD questions "
        f"({hit1.mean():.3f} of them answered right at the first quote). Answered: share of answerable questions;")
    say("precision: share of the answered answerable ones whose first quote holds the answer.")
    say()
    say("| set | P ≥ | answered | precision | declined (unanswerable) | AUC answerable vs not |")
    say("|---|---|---|---|---|---|")
    for name in sets:
        if name == "drcd-train":
            continue
        conf, hit1, negative = judged(name)
        prob = 1 / (1 + np.exp(-(slope * conf + intercept)))
        auc = f"{roc_auc_score(~negative, conf):.3f}" if negative.any() and (~negative).any() else "–"
        for t in THRESHOLDS:
            keep = prob >= t
            cells = [keep[~negative].mean(), hit1[keep & ~negative].mean() if (keep & ~negative).any() else float("nan"),
                     (~keep[negative]).mean() if negative.any() else float("nan")]
            say(f"| {name} | {t} | " + " | ".join("–" if c != c else f"{c:.3f}" for c in cells) + f" | {auc} |")

    # --- measured, not used: a logistic model over the best sentence's features ----------------
    say()
    say("## Not used: a logistic model of the best sentence's features (AUC, answerable vs not)")
    say()
    tops = {name: best_rows(sets[name][2], learned[name][1] if name != "drcd-train" else orders(data, oof),
                            len(sets[name][1])) for name in sets}
    target = np.array([int(r.hit_rank == 1) for r in evaluate(index, items, data, oof)[0].results])
    mean, scale = tops["drcd-train"].mean(axis=0), tops["drcd-train"].std(axis=0) + 1e-9
    logistic = LogisticRegression(C=1.0, max_iter=2000, random_state=SEED).fit((tops["drcd-train"] - mean) / scale, target)
    # the confidence's own parts, their weights fitted on DRCD instead of set by hand
    parts = {name: confidence_parts(sets[name][2], learned[name][1] if name != "drcd-train" else orders(data, oof),
                                    len(sets[name][1])) for name in sets}
    weighed = LogisticRegression(C=1e3, max_iter=2000).fit(parts["drcd-train"], target)
    w = weighed.coef_[0] / weighed.coef_[0][0]
    say("| set | confidence (shipped) | logistic over " + ", ".join(TOP_COLUMNS) + " | logistic over the confidence's parts |")
    say("|---|---|---|---|")
    for name in sets:
        if name == "drcd-train":
            continue
        conf, _, negative = judged(name)
        if not negative.any():
            continue
        z = logistic.decision_function((tops[name] - mean) / scale)
        zp = weighed.decision_function(parts[name])
        say(f"| {name} | {roc_auc_score(~negative, conf):.3f} | {roc_auc_score(~negative, z):.3f} | {roc_auc_score(~negative, zp):.3f} |")
    say()
    from retrieval.ranking.tuning import TUNING

    say(f"Fitted on DRCD, the parts weigh fused − {-w[1]:.3f} × unknown − {-w[2]:.3f} × untyped − {-w[3]:.3f} × "
        f"unattributed (by hand: {TUNING.unknown_penalty}, {TUNING.type_penalty} and {TUNING.attribute_penalty}).")
    say("A topic-absent DRCD question lacks its article whole, so its own words are missing from the corpus,")
    say("but its fused score drops with them (the words that would match are gone), and DRCD's answerable")
    say("questions copy their paragraph's words: the penalties add almost nothing there. A reader's paraphrase")
    say("leaves many answerable newspaper questions with a word the paper never prints, and the penalties are")
    say("what tells those from questions about what the paper never covered.")

    MODEL_DIR.mkdir(exist_ok=True)
    final.save_model(str(MODEL_DIR / "ranker.txt"))
    (MODEL_DIR / "calibrator.json").write_text(
        json.dumps({"slope": slope, "intercept": intercept}, indent=1) + "\n", encoding="utf-8")
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
              for p in [*DRCD_FILES, out / "corpus.jsonl", out / "train.jsonl", out / "heldout.jsonl"]}
    head = [
        "# The ranker and the calibrator: training report",
        "",
        "Written by `python scripts/train_ranker.py fit` with the files of this folder. Trained on DRCD",
        "(Delta Reading Comprehension Dataset, Delta Research Center, CC BY-SA 3.0), converted to",
        "simplified Chinese and split by article (`evaluation/drcd.py`). Data (sha256):",
        "",
        *[f"- `{k}`: `{v}`" for k, v in hashes.items()],
        "",
        f"LightGBM {lightgbm.__version__}, {ROUNDS} rounds, `{json.dumps(PARAMS)}`.",
        "",
    ]
    (MODEL_DIR / "REPORT.md").write_text("\n".join(head + lines) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_DIR}")
    return 0


THRESHOLDS = (0.05, 0.075, 0.1, 0.12, 0.15, 0.2, 0.3, 0.5)
TOP_COLUMNS = ("dense", "chunk", "window_coverage", "context_coverage", "sentence_coverage", "neighbour",
               "answer_type", "asks_type", "unknown", "bm25")


def confidence_parts(data, ranked, n_items: int):
    """What the confidence adds up for each question's best sentence: its fused score, the
    question's unknown keyword share, whether it lacks the asked type, and whether its window
    lacks the attribute asked about (a question without a best sentence: nothing found, nothing
    known)."""
    import numpy as np

    from retrieval.ranking.ranker import FEATURES

    col = {name: i for i, name in enumerate(FEATURES)}
    out = np.tile([0.0, 1.0, 1.0, 1.0], (n_items, 1))
    for n, rows in best_first(ranked, n_items):
        x = data["x"][rows[0]]
        out[n] = [data["fused"][rows[0]], x[col["unknown"]], float(x[col["asks_type"]] > 0 and not typed(x, col)),
                  float(not data["attribute"][rows[0]])]
    return out


def best_rows(data, ranked, n_items: int):
    """The :data:`TOP_COLUMNS` of each question's best sentence, with its cosine margin to the second."""
    import numpy as np

    from retrieval.ranking.ranker import FEATURES

    cols = [FEATURES.index(c) for c in TOP_COLUMNS]
    dense = FEATURES.index("dense")
    out = np.zeros((n_items, len(cols) + 1))
    for n, rows in best_first(ranked, n_items):
        x = data["x"][rows[0]]
        second = data["x"][rows[1]] if len(rows) > 1 else x
        out[n] = np.r_[x[cols], x[dense] - second[dense]]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=["prepare", "fit"])
    ap.add_argument("--out", type=Path, default=Path("var/train/drcd"))
    ap.add_argument("--set", action="append", default=[], metavar="NAME=INDEX:QUESTIONS",
                    help="a validation set reported beside held-out DRCD (never trained on)")
    args = ap.parse_args()
    if args.step == "prepare":
        return prepare(args.out)
    return fit(args)


if __name__ == "__main__":
    sys.exit(main())
