"""Scoring the answering service against gold questions, as ``shared/eval/README.md`` prescribes.

The rule is deliberately strict and mechanical (normalised substring match plus the right source) so
that two runs, or two engineers, always agree on a number: no fuzzy matching, no model in the loop.
Everything here is plain data in, plain data out; :mod:`evaluation.runner` does the asking.
"""

from __future__ import annotations

import json
import logging
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from retrieval import Answer, NewsqaError
from retrieval.text import key

TOP_K = 5
"""Only the first five cited passages count: a reader does not scroll further than that."""

UNANSWERABLE = "unanswerable"

log = logging.getLogger(__name__)


class EvalDataError(NewsqaError, ValueError):
    """An evaluation file cannot be read as it is; the message names the file and line to fix."""


@dataclass(frozen=True)
class QAItem:
    """One gold question. ``source`` is the article (file) that holds the answer, ``None`` when the
    paper never says it (``kind == "unanswerable"``, ``answers == []``). ``answer_occurrences`` is how
    often the first answer occurs in that source: a span that occurs many times is easy to "hit" by
    accident, so analyses may want to look at those items separately."""

    id: str
    question: str
    answers: list[str]
    source: str | None
    title: str | None
    kind: str
    answer_occurrences: int = 1

    @property
    def answerable(self) -> bool:
        return self.kind != UNANSWERABLE

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "question": self.question,
            "answers": list(self.answers),
            "source": self.source,
            "title": self.title,
            "kind": self.kind,
            "answer_occurrences": self.answer_occurrences,
        }


# NFKC, then every white-space character removed. NFKC folds full-width ``，１６８`` into ``,168``;
# dropping white space forgives the stray spaces newspaper layout leaves inside Chinese text
# (``168 米`` vs ``168米``). Both differences are typographic, never a different answer.
norm = key



# --------------------------------------------------------------------------- loading questions


def _item_from_record(rec: object) -> QAItem:
    """Validate one JSONL record; raises ValueError with a short reason (the caller adds file:line)."""
    if not isinstance(rec, dict):
        raise ValueError("expected a JSON object")
    for name in ("id", "question", "kind"):
        if not isinstance(rec.get(name), str) or not rec[name].strip():
            raise ValueError(f"{name!r} must be a non-empty string")
    answers = rec.get("answers", [])
    if not isinstance(answers, list) or not all(isinstance(a, str) and norm(a) for a in answers):
        raise ValueError("'answers' must be a list of non-empty strings")
    source, title = rec.get("source"), rec.get("title")
    for name, value in (("source", source), ("title", title)):
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{name!r} must be a string or null")
    occurrences = rec.get("answer_occurrences", 1)
    if not isinstance(occurrences, int) or isinstance(occurrences, bool) or occurrences < 0:
        raise ValueError("'answer_occurrences' must be a non-negative integer")
    if rec["kind"] == UNANSWERABLE:
        if answers:
            raise ValueError("an 'unanswerable' item must have \"answers\": []")
    elif not answers or not source:
        # Without both, no passage could ever be a hit and the item would silently score zero.
        raise ValueError(f"a {rec['kind']!r} item needs non-empty 'answers' and a 'source'")
    return QAItem(
        id=rec["id"],
        question=rec["question"],
        answers=list(answers),
        source=source,
        title=title,
        kind=rec["kind"],
        answer_occurrences=occurrences,
    )


def load_questions(path: Path) -> list[QAItem]:
    """Read gold questions in the ``dev_seeds.jsonl`` format. Blank lines are skipped; anything else
    that is not a valid item stops the run with ``<file>:<line>: <reason>``, because a half-read
    question set would produce numbers that look fine and mean nothing."""
    path = Path(path)
    try:
        # split("\n"), not splitlines(): the latter also breaks at U+2028 etc., which json.dumps
        # with ensure_ascii=False leaves unescaped inside strings.
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalDataError(f"{path}: cannot read question file ({exc})") from exc
    items: list[QAItem] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = _item_from_record(json.loads(line))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError too
            raise EvalDataError(f"{path}:{lineno}: malformed question line: {exc}") from exc
        if item.id in seen:
            raise EvalDataError(
                f"{path}:{lineno}: duplicate question id {item.id!r} (first on line {seen[item.id]})"
            )
        seen[item.id] = lineno
        items.append(item)
    if not items:
        raise EvalDataError(f"{path}: no questions found")
    return items


# --------------------------------------------------------------------------- results and report


def _mean(values: Iterable[float]) -> float | None:
    """None (JSON null, printed as "-") rather than 0 or NaN when there is nothing to average:
    a CMRC run has no unanswerable items and must not report a 0% decline rate."""
    values = list(values)
    return sum(values) / len(values) if values else None


@dataclass
class ItemResult:
    """How one question fared. ``hit_rank`` is 1-based within the top five, ``None`` for a miss, a
    declined answer, or an unanswerable item. ``quotes_verbatim`` is True when every returned quote
    occurs in its source (vacuously True with no quotes); ``verbatim_per_quote`` gives the per-quote
    flags, parallel to ``quote_lengths``, so the report can state the share of verbatim quotes."""

    item: QAItem
    answered: bool
    hit_rank: int | None
    quotes_verbatim: bool
    quote_lengths: list[int]
    seconds: float
    verbatim_per_quote: list[bool] | None = None

    def __post_init__(self) -> None:
        if self.verbatim_per_quote is None:
            self.verbatim_per_quote = [self.quotes_verbatim] * len(self.quote_lengths)

    def to_json(self) -> dict:
        return {
            "id": self.item.id,
            "kind": self.item.kind,
            "answered": self.answered,
            "hit_rank": self.hit_rank,
            "quotes_verbatim": self.quotes_verbatim,
            "quote_lengths": list(self.quote_lengths),
            "seconds": round(self.seconds, 4),
        }


def _answerable_metrics(results: list[ItemResult]) -> dict[str, float | None]:
    ranks = [r.hit_rank for r in results]
    return {
        "hit@1": _mean(float(k == 1) for k in ranks),
        "hit@5": _mean(float(k is not None and k <= TOP_K) for k in ranks),
        "mrr@5": _mean(1.0 / k if k is not None and k <= TOP_K else 0.0 for k in ranks),
        "answered": _mean(float(r.answered) for r in results),
    }


@dataclass
class EvalReport:
    """All per-item results; every aggregate is computed from them on demand, so there is one
    source of truth and a report loaded from JSON items could be re-aggregated the same way."""

    results: list[ItemResult]

    def kinds(self) -> list[str]:
        """Kinds in order of first appearance, ``unanswerable`` last (it has different columns)."""
        order = list(dict.fromkeys(r.item.kind for r in self.results))
        return [k for k in order if k != UNANSWERABLE] + [k for k in order if k == UNANSWERABLE]

    def per_kind(self) -> dict[str, dict[str, float | None]]:
        """Answerable kinds: n, hit@1, hit@5, mrr@5, answered. ``unanswerable``: n, declined."""
        out: dict[str, dict[str, float | None]] = {}
        for kind in self.kinds():
            group = [r for r in self.results if r.item.kind == kind]
            if kind == UNANSWERABLE:
                out[kind] = {"n": len(group), "declined": _mean(float(not r.answered) for r in group)}
            else:
                out[kind] = {"n": len(group), **_answerable_metrics(group)}
        return out

    def overall(self) -> dict[str, float | None]:
        """Headline numbers. Hit/MRR/answered are over answerable items only, declined over
        unanswerable only; verbatim share and mean quote length are over every returned quote;
        seconds over every question. A metric with nothing to measure is None."""
        answerable = [r for r in self.results if r.item.answerable]
        unanswerable = [r for r in self.results if not r.item.answerable]
        flags = [f for r in self.results for f in (r.verbatim_per_quote or [])]
        lengths = [n for r in self.results for n in r.quote_lengths]
        seconds = [r.seconds for r in self.results]
        return {
            "n": len(self.results),
            "n_answerable": len(answerable),
            "n_unanswerable": len(unanswerable),
            **_answerable_metrics(answerable),
            "declined": _mean(float(not r.answered) for r in unanswerable),
            "verbatim": _mean(float(f) for f in flags),
            "quote_chars": _mean(float(n) for n in lengths),
            "mean_seconds": _mean(seconds),
            "median_seconds": statistics.median(seconds) if seconds else None,
        }

    def format_table(self) -> str:
        """Fixed-width ASCII table (kinds are ASCII identifiers): one row per kind, a total row for
        answerable items, then a line with the quote and timing figures."""
        cols = ["hit@1", "hit@5", "mrr@5", "answered", "declined"]

        def cell(value: float | None, pct: bool) -> str:
            if value is None:
                return f"{'-':>9}"
            return f"{value:>9.1%}" if pct else f"{value:>9.3f}"

        def row(name: str, stats: Mapping[str, float | None]) -> str:
            cells = "".join(cell(stats.get(c), c != "mrr@5") for c in cols)
            return f"{name:<14}{int(stats.get('n') or 0):>5}{cells}"

        header = f"{'kind':<14}{'n':>5}" + "".join(f"{c:>9}" for c in cols)
        lines = [header, "-" * len(header)]
        lines += [row(kind, stats) for kind, stats in self.per_kind().items()]
        o = self.overall()
        lines.append("-" * len(header))
        # The unanswerable row above already is the overall decline rate; only answerable needs a total.
        lines.append(row("answerable", {**o, "n": o["n_answerable"], "declined": None}))

        def fmt(value: float | None, spec: str) -> str:
            return "-" if value is None else format(value, spec)

        lines.append(
            f"quotes verbatim {fmt(o['verbatim'], '.1%')}, mean quote {fmt(o['quote_chars'], '.0f')}"
            f" chars; seconds/question mean {fmt(o['mean_seconds'], '.2f')},"
            f" median {fmt(o['median_seconds'], '.2f')}"
        )
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {
            "overall": self.overall(),
            "per_kind": self.per_kind(),
            "items": [r.to_json() for r in self.results],
        }


# --------------------------------------------------------------------------- scoring


def score(items: list[QAItem], answers: list[Answer], source_texts: Mapping[str, str]) -> EvalReport:
    """Score ``answers[i]`` against ``items[i]`` by the README rule.

    An answerable item is a hit at rank k (1..5, passages in the order returned) when ``norm`` of any
    gold answer is a substring of ``norm(quote)`` of the k-th passage *and* that passage's ``source``
    equals the item's source; ``hit_rank`` is the first such k.

    Product decision: when ``answer.answered`` is False the item gets no hit at any rank, whatever
    its passages contain, because a declined answer shows the reader "not found" and no quotes.
    An unanswerable item is declined exactly when ``answered`` is False.

    Verbatim check: ``norm(quote)`` must occur in ``norm(source_texts[passage.source])``; a passage
    whose source is missing from ``source_texts`` counts as not verbatim. It is applied to every
    passage returned, declined or not and beyond the top five: a fabricated quote is a bug wherever
    it appears, and front ends may still show nearby passages.
    """
    if len(items) != len(answers):
        raise ValueError(f"{len(items)} questions but {len(answers)} answers: they must pair up")
    normed_sources: dict[str, str] = {}

    def verbatim(quote: str, source: str) -> bool:
        if source not in source_texts:
            return False
        if source not in normed_sources:
            normed_sources[source] = norm(source_texts[source])
        return norm(quote) in normed_sources[source]

    results: list[ItemResult] = []
    for item, answer in zip(items, answers):
        gold = [n for n in (norm(a) for a in item.answers) if n]
        hit_rank = None
        if answer.answered and item.answerable and gold:
            for rank, passage in enumerate(answer.passages[:TOP_K], start=1):
                if passage.source == item.source and any(g in norm(passage.quote) for g in gold):
                    hit_rank = rank
                    break
        flags = [verbatim(p.quote, p.source) for p in answer.passages]
        results.append(
            ItemResult(
                item=item,
                answered=answer.answered,
                hit_rank=hit_rank,
                quotes_verbatim=all(flags),
                quote_lengths=[len(p.quote) for p in answer.passages],
                seconds=answer.seconds,
                verbatim_per_quote=flags,
            )
        )
    return EvalReport(results)
