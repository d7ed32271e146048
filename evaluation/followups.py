"""Scoring follow-up questions: each pair is asked as a conversation (the first question, then the
follow-up leaning on its answer) and, for comparison, the follow-up alone; both are scored by the
README rule (:func:`evaluation.scoring.score`). The pairs are in ``evaluation_data/followups.jsonl``:
``{"id", "first", "followup", "answers", "source", "kind"}``.
"""

from __future__ import annotations

import json
from pathlib import Path

from evaluation.scoring import TOP_K, EvalReport, QAItem, score
from retrieval import AnswerService
from retrieval.corpus.ingest import ingest


def load_pairs(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").split("\n") if line.strip()]


def run(pairs: list[dict], service: AnswerService) -> tuple[EvalReport, EvalReport, list[str]]:
    """(the follow-ups asked in conversation, the follow-ups asked alone, how each was read)."""
    items = [QAItem(p["id"], p["followup"], p["answers"], p["source"], None, p["kind"]) for p in pairs]
    in_context, alone, read = [], [], []
    for pair in pairs:
        first = service.ask(pair["first"], top_k=TOP_K)
        answer = service.ask(pair["followup"], top_k=TOP_K, previous=first)
        in_context.append(answer)
        read.append(f'{pair["id"]}: {pair["followup"]}  →  {answer.read_as or "(not read as a follow-up)"}')
        alone.append(service.ask(pair["followup"], top_k=TOP_K))
    sources = ingest(service.built_from).sources
    return score(items, in_context, sources), score(items, alone, sources), read
