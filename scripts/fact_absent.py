"""Make "the topic is there, the fact is not" questions from a converted SQuAD corpus.

    newsqa eval --squad cmrc2018_trial.json --squad-out var/cmrc          # corpus.jsonl + questions.jsonl
    python scripts/fact_absent.py var/cmrc var/cmrc-fact-absent
    newsqa eval var/cmrc-fact-absent/questions.jsonl --corpus var/cmrc-fact-absent/corpus.jsonl \
        --index var/cmrc-fact-absent/index

Topic present, fact absent (see evaluation/negatives.py); with ``--topic-absent``, every other
paragraph left out instead (the "hold-out" row of the README).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evaluation.negatives import fact_absent, read_jsonl, topic_absent
from evaluation.squad import write_jsonl


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("converted", type=Path, help="folder with corpus.jsonl and questions.jsonl (newsqa eval --squad-out)")
    ap.add_argument("out", type=Path)
    ap.add_argument("--topic-absent", action="store_true", help="leave out every other paragraph instead")
    args = ap.parse_args()
    corpus, questions = (topic_absent if args.topic_absent else fact_absent)(
        read_jsonl(args.converted / "corpus.jsonl"), read_jsonl(args.converted / "questions.jsonl")
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
