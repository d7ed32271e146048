"""The learned ranking and the calibrated "not found": models trained on DRCD, read here.

``scripts/train_ranker.py`` trains both on DRCD (CC BY-SA 3.0, Delta Research Center) and writes
the files of ``retrieval/ranking/model/`` with their report (``REPORT.md``); nothing in the build,
the service or the tests trains.

- The **ranker**, a LightGBM lambdarank model over :data:`FEATURES`, orders the candidate sentences
  of a Chinese question; its scores order one question's candidates and mean nothing across
  questions. English questions, questions naming a date and follow-ups keep the hand-weighted order
  (:func:`retrieval.ranking.search.rank`): DRCD has none of them, and their boosts live on the
  fused scale.
- The **calibrator** maps the confidence of :func:`retrieval.ranking.search.confidence` to
  P(the first quote holds the answer): Platt scaling fitted on the held-out DRCD articles, whose
  negatives lack the answering sentence (fact absent) or their whole article (topic absent); the
  shipped one was fitted before the confidence had its attribute term, which a Platt refit on
  held-out DRCD would barely move (README, "The ninth pass"). A
  logistic model over the best sentence's features, trained on DRCD, judged DRCD better (AUC 0.95
  against 0.87) and newspaper questions worse (0.76 against 0.92 on the frozen seed set): it
  learned DRCD's questions, which copy their paragraph's words, so it is not used (REPORT.md).
  Nor are the confidence's own penalties refitted on DRCD: there the fused score already falls
  with a question's missing words, so it weighs the unknown share and the missing type at almost
  nothing (AUC on the seed set 0.74), where they are what tells a newspaper question the paper
  cannot answer from a reader's paraphrase.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

MODEL_DIR = Path(__file__).with_name("model")

# the candidate columns the ranker reads, in its order (retrieval.ranking.search.Candidates)
COLUMNS = (
    "dense", "chunk", "window_coverage", "context_coverage", "answer_type", "byline",
    "neighbour", "bm25", "sentence_coverage", "position", "length", "beyond_headline", "neighbour_type",
)
# ... then what depends on the other candidates and on the question
GAPS = ("dense", "chunk", "beyond_headline")  # each below the question's best candidate's
FEATURES = COLUMNS + tuple(f"{name}_gap" for name in GAPS) + ("asks_type", "english", "unknown", "keywords")


def features(c) -> np.ndarray:
    """The ranker's input for the candidates ``c`` (one row each, :data:`FEATURES` columns)."""
    n = len(c.ids)
    if not n:
        return np.zeros((0, len(FEATURES)), np.float32)
    cols = [getattr(c, name).astype(np.float32) for name in COLUMNS]
    cols += [getattr(c, name) - getattr(c, name).max() for name in GAPS]
    for value in (float(c.asks_type), float(c.english), c.unknown, float(c.keywords)):
        cols.append(np.full(n, value, dtype=np.float32))
    return np.column_stack(cols).astype(np.float32)


@dataclass(frozen=True)
class Calibrator:
    """P(the first quote holds the answer) = sigmoid(slope × confidence + intercept)."""

    slope: float
    intercept: float

    def probability(self, confidence: float) -> float:
        return 1.0 / (1.0 + math.exp(-(self.slope * confidence + self.intercept)))


class Ranker:
    """The trained models of ``directory``, loaded on first use (LightGBM's import is 0.3 s)."""

    def __init__(self, directory: Path = MODEL_DIR) -> None:
        self.directory = directory

    @cached_property
    def booster(self):
        import lightgbm

        booster = lightgbm.Booster(model_file=str(self.directory / "ranker.txt"))
        if booster.feature_name() != list(FEATURES):
            raise ValueError(f"{self.directory / 'ranker.txt'}: trained on other features than this code computes")
        return booster

    @cached_property
    def calibrator(self) -> Calibrator:
        data = json.loads((self.directory / "calibrator.json").read_text(encoding="utf-8"))
        return Calibrator(float(data["slope"]), float(data["intercept"]))

    def scores(self, x: np.ndarray) -> np.ndarray:
        """One score per row of ``x`` (:func:`features`): higher ranks first."""
        return self.booster.predict(x, num_threads=1) if len(x) else np.zeros(0)


RANKER = Ranker()
