#!/usr/bin/env python3
"""Check a question file (JSON lines, dev_seeds format) against a corpus folder.

Rule (see shared/eval/README.md): norm(s) = NFKC(s) with all whitespace removed.
For every answerable item, each norm(answer) must occur in norm(text of its source file);
the number of occurrences must be >= 1 and equal the item's ``answer_occurrences``.
Unanswerable items have ``answers: []`` and ``source: null``.

Default checks: JSON/fields, unique ids, allowed kinds, source file exists, answers occur
and their count matches ``answer_occurrences``, unanswerable shape.
``--strict`` adds: each answer lies within one sentence or two consecutive sentences of
the source (sentences split on 。!? after norm), the title occurs in the source after norm,
and crosslingual questions contain no CJK characters.

Prints one line per problem and a summary line; exit status 0 when clean, 2 otherwise.

    python scripts/check_questions.py evaluation_data/seeds_heldout.jsonl --corpus seeds
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

KINDS = ("fact", "number", "person", "date", "paraphrase", "crosslingual", "multi_hop", "unanswerable")
REQUIRED = ("id", "question", "answers", "source", "title", "kind")
_WS = re.compile(r"\s+")
_SENT_END = re.compile(r"(?<=[。!?])")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def norm(s: str) -> str:
    return _WS.sub("", unicodedata.normalize("NFKC", s))


def count_occurrences(needle: str, hay: str) -> int:
    """Non-overlapping occurrences of needle in hay (str.count)."""
    return hay.count(needle) if needle else 0


def in_two_sentences(needle: str, text: str) -> bool:
    sents = [s for s in _SENT_END.split(text) if s]
    for i, s in enumerate(sents):
        if needle in s:
            return True
        if i + 1 < len(sents) and needle in s + sents[i + 1]:
            return True
    return False


def check(path: Path, corpus: Path, strict: bool) -> tuple[list[str], Counter, int]:
    problems: list[str] = []
    kinds: Counter = Counter()
    texts: dict[str, str] = {}
    seen: dict[str, int] = {}
    n_items = 0

    def source_text(name: str) -> str | None:
        if name not in texts:
            f = corpus / name
            if Path(name).name != name or not f.is_file():
                return None
            texts[name] = norm(f.read_text(encoding="utf-8"))
        return texts[name]

    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            n_items += 1
            where = f"line {lineno}"
            try:
                item = json.loads(line)
            except json.JSONDecodeError as e:
                problems.append(f"{where}: invalid JSON ({e})")
                continue
            if not isinstance(item, dict):
                problems.append(f"{where}: not a JSON object")
                continue
            iid = item.get("id")
            where = f"line {lineno} [{iid}]"
            missing = [k for k in REQUIRED if k not in item]
            if missing:
                problems.append(f"{where}: missing field(s) {', '.join(missing)}")
                continue
            if not isinstance(iid, str) or not iid:
                problems.append(f"{where}: id must be a non-empty string")
            elif iid in seen:
                problems.append(f"{where}: duplicate id (first on line {seen[iid]})")
            else:
                seen[iid] = lineno
            kind = item["kind"]
            kinds[kind] += 1
            if kind not in KINDS:
                problems.append(f"{where}: unknown kind {kind!r}")
            question = item["question"]
            if not isinstance(question, str) or not question.strip():
                problems.append(f"{where}: empty question")
            answers, source = item["answers"], item["source"]
            if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
                problems.append(f"{where}: answers must be a list of strings")
                continue

            if kind == "unanswerable":
                if answers:
                    problems.append(f"{where}: unanswerable item has answers {answers}")
                if source is not None:
                    problems.append(f"{where}: unanswerable item has source {source!r} (must be null)")
                continue

            if not answers:
                problems.append(f"{where}: answerable item has no answers")
                continue
            if not isinstance(source, str) or not source:
                problems.append(f"{where}: answerable item has no source")
                continue
            text = source_text(source)
            if text is None:
                problems.append(f"{where}: source file {source!r} not found in {corpus}")
                continue
            if strict and kind == "crosslingual" and isinstance(question, str) and _CJK.search(question):
                problems.append(f"{where}: crosslingual question contains CJK characters")
            if strict and isinstance(item["title"], str) and norm(item["title"]) not in text:
                problems.append(f"{where}: title {item['title']!r} not found in {source}")
            expected = item.get("answer_occurrences")
            if "answer_occurrences" in item and (not isinstance(expected, int) or isinstance(expected, bool)):
                problems.append(f"{where}: answer_occurrences must be an integer")
                expected = None
            for k, ans in enumerate(answers):
                na = norm(ans)
                if not na:
                    problems.append(f"{where}: answer #{k + 1} is empty after norm")
                    continue
                c = count_occurrences(na, text)
                if c < 1:
                    problems.append(f"{where}: answer {ans!r} not found in {source} (count 0)")
                    continue
                # answer_occurrences describes the first (main) answer
                if k == 0 and "answer_occurrences" in item and expected is not None and c != expected:
                    problems.append(
                        f"{where}: answer {ans!r} occurs {c}x in {source}, answer_occurrences says {expected}")
                if strict and not in_two_sentences(na, text):
                    problems.append(f"{where}: answer {ans!r} does not lie within two consecutive sentences")
            if "answer_occurrences" not in item:
                problems.append(f"{where}: missing answer_occurrences")
    return problems, kinds, n_items


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("questions", type=Path, help="question file, one JSON object per line")
    ap.add_argument("--corpus", type=Path, default=Path("seeds"), help="folder with the source files (default: seeds)")
    ap.add_argument("--strict", action="store_true",
                    help="also check sentence windows, titles and English-only crosslingual questions")
    args = ap.parse_args(argv)
    if not args.questions.is_file():
        print(f"{args.questions}: no such file")
        return 2
    if not args.corpus.is_dir():
        print(f"{args.corpus}: no such folder")
        return 2
    problems, kinds, n = check(args.questions, args.corpus, args.strict)
    for p in problems:
        print(p)
    by_kind = ", ".join(f"{k} {kinds[k]}" for k in KINDS if kinds[k]) or "none"
    extra = ", ".join(f"{k} {v}" for k, v in kinds.items() if k not in KINDS)
    print(f"{'OK' if not problems else 'FAIL'}: {n} items ({by_kind}{'; ' + extra if extra else ''}), "
          f"{len(problems)} problem(s)")
    return 0 if not problems else 2


if __name__ == "__main__":
    sys.exit(main())
