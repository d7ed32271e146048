"""Synthetic unanswerable questions, made from a converted SQuAD corpus (``evaluation.squad``).

The hard unanswerable question is not "what is the capital of France" but "陈恢清市长是哪一年出生的":
the paper talks about the man, never about his birth. :func:`fact_absent` makes such questions: every
odd-numbered question of a paragraph whose answer occurs once loses the sentence that holds it
(unless an even-numbered question needs that sentence); the question becomes unanswerable and the
even-numbered questions stay answerable in the same, now shorter, paragraph. Sentences are cut the
way the index cuts them (:func:`retrieval.corpus.chunking.split_sentences`).

:func:`topic_absent` makes the easier kind: every odd-numbered paragraph is left out of the corpus
and its questions become unanswerable (the "hold-out" row of the README).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from retrieval.corpus.chunking import split_sentences


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def fact_absent(corpus: list[dict], questions: list[dict]) -> tuple[list[dict], list[dict]]:
    by_source: dict[str, list[dict]] = {}
    for q in questions:
        by_source.setdefault(q["source"], []).append(q)
    out_corpus, out_questions = [], []
    for record in corpus:
        text, group = record["text"], by_source.get(record["source"], [])
        spans = split_sentences(text)
        kept = [q for q in group if _number(q["id"]) % 2 == 0]
        dropped: set[int] = set()
        negatives = []
        for q in group:
            if q in kept or q.get("answer_occurrences") != 1:
                continue
            answer = q["answers"][0]
            holders = [k for k, (s, e) in enumerate(spans) if answer in text[s:e]]
            if len(holders) != 1:  # absent, or cut across sentences
                continue
            s, e = spans[holders[0]]
            if any(a in text[s:e] for k in kept for a in k["answers"]):
                continue
            dropped.add(holders[0])
            negatives.append(q)
        new_text = "".join(text[s:e] for k, (s, e) in enumerate(spans) if k not in dropped)
        out_corpus.append({**record, "text": new_text})
        out_questions += [q for q in kept if any(a in new_text for a in q["answers"])]
        out_questions += [
            {**q, "kind": "unanswerable", "answers": [], "source": None, "answer_occurrences": 0}
            for q in negatives
            if q["answers"][0] not in new_text
        ]
    return out_corpus, out_questions


def _number(question_id: str) -> int:
    """A question's number within its paragraph: the digits its id ends with (CMRC's
    ``TRIAL_800_QUERY_3``, DRCD's ``1147-2-3``)."""
    return int(_TRAILING_DIGITS.search(question_id).group())


_TRAILING_DIGITS = re.compile(r"\d+$")


def topic_absent(corpus: list[dict], questions: list[dict]) -> tuple[list[dict], list[dict]]:
    kept = corpus[::2]
    sources = {record["source"] for record in kept}
    return kept, [
        q if q["source"] in sources
        else {**q, "kind": "unanswerable", "answers": [], "source": None, "answer_occurrences": 0}
        for q in questions
    ]
