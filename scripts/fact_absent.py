"""Make "the topic is there, the fact is not" questions from a converted SQuAD corpus.

    newsqa eval --squad cmrc2018_trial.json --squad-out var/cmrc          # corpus.jsonl + questions.jsonl
    python scripts/fact_absent.py var/cmrc var/cmrc-fact-absent
    newsqa eval var/cmrc-fact-absent/questions.jsonl --corpus var/cmrc-fact-absent/corpus.jsonl \
        --index var/cmrc-fact-absent/index

The hard unanswerable question is not "what is the capital of France" but "陈恢清市长是哪一年出生的":
the paper talks about the man, never about his birth. To calibrate "not found" on such questions in
numbers, every odd-numbered question of a paragraph whose answer occurs once loses the sentence that
holds it (unless an even-numbered question needs that sentence); the question becomes unanswerable
and the even-numbered questions stay answerable in the same, now shorter, paragraph.

With ``--topic-absent`` the easier kind is made instead: every odd-numbered paragraph is left out of
the corpus and its questions become unanswerable (the "hold-out" row of the README).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retrieval.chunking import split_sentences  # noqa: E402
from retrieval.evaluation import write_jsonl  # noqa: E402


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def fact_absent(corpus: list[dict], questions: list[dict]) -> tuple[list[dict], list[dict]]:
    by_source: dict[str, list[dict]] = {}
    for q in questions:
        by_source.setdefault(q["source"], []).append(q)
    out_corpus, out_questions = [], []
    for record in corpus:
        text, group = record["text"], by_source.get(record["source"], [])
        spans = split_sentences(text)
        kept = [q for q in group if int(q["id"].rsplit("_", 1)[-1]) % 2 == 0]
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


def topic_absent(corpus: list[dict], questions: list[dict]) -> tuple[list[dict], list[dict]]:
    kept = corpus[::2]
    sources = {record["source"] for record in kept}
    return kept, [
        q if q["source"] in sources
        else {**q, "kind": "unanswerable", "answers": [], "source": None, "answer_occurrences": 0}
        for q in questions
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("converted", type=Path, help="folder with corpus.jsonl and questions.jsonl (newsqa eval --squad-out)")
    ap.add_argument("out", type=Path)
    ap.add_argument("--topic-absent", action="store_true", help="leave out every other paragraph instead")
    args = ap.parse_args()
    corpus, questions = (topic_absent if args.topic_absent else fact_absent)(
        _read_jsonl(args.converted / "corpus.jsonl"), _read_jsonl(args.converted / "questions.jsonl")
    )
    args.out.mkdir(parents=True, exist_ok=True)
    write_jsonl(args.out / "corpus.jsonl", corpus)
    write_jsonl(args.out / "questions.jsonl", questions)
    negatives = sum(q["kind"] == "unanswerable" for q in questions)
    absent = "topic" if args.topic_absent else "fact"
    print(f"{len(questions) - negatives} answerable and {negatives} {absent}-absent questions in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
