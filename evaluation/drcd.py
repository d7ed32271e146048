"""DRCD (traditional-Chinese Wikipedia reading comprehension) as the ranker's training corpus.

DRCD is converted to simplified Chinese (the corpus' script; the question text is kept in
traditional beside it, ``question_traditional``) and split **by article** (its Wikipedia title, a
fixed hash): 80% train, 20% held out, never one article's questions on both sides. All of its
paragraphs form one corpus, as an archive would, with negatives made inside it the way
:mod:`evaluation.negatives` makes them: of every four articles, one is left out whole (its
questions are *topic absent*: nothing of the paper names what they ask about, as 方特欢乐世界 is
named nowhere in the seeds), and of the other articles' paragraphs one in three loses the sentences
answering its odd-numbered questions (*fact absent*: the topic is there, the fact is not). Before,
one *paragraph* in four was left out, its article's other paragraphs staying: every word of
those questions was still in the corpus, so the confidence's share of keywords the corpus lacks
learned nothing from them, though on newspaper questions it is what tells a topic the paper never
covered.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from evaluation.negatives import fact_absent
from evaluation.scoring import UNANSWERABLE, EvalDataError, norm
from evaluation.squad import write_jsonl
from retrieval.text import normalize

HELDOUT_SHARE = 5  # one article in five is held out


def split_of(title: str) -> str:
    """"heldout" or "train", fixed by the article's title (md5: the same on every machine)."""
    digest = int(hashlib.md5(title.encode("utf-8")).hexdigest(), 16)
    return "heldout" if digest % HELDOUT_SHARE == 0 else "train"


def convert(files: list[Path], out: Path) -> dict[str, int]:
    """Write ``corpus.jsonl``, ``train.jsonl`` and ``heldout.jsonl`` into ``out``; returns counts."""
    corpus: list[dict] = []
    questions: dict[str, list[dict]] = {"train": [], "heldout": []}
    article_number = paragraph_number = 0
    for path in files:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
        except (OSError, ValueError, KeyError) as exc:
            raise EvalDataError(f"{path}: not a readable SQuAD-format file ({exc!r})") from exc
        for entry in data:
            title = normalize(entry["title"])
            split = split_of(entry["title"])
            absent = article_number % 4 == 3  # left out whole: topic absent
            article_number += 1
            for para in entry["paragraphs"]:
                source = f"drcd-{para['id']}"
                text = normalize(para["context"])
                group = []
                for qa in para["qas"]:
                    answers = list(dict.fromkeys(normalize(a["text"]) for a in qa["answers"]))
                    answers = [a for a in answers if norm(a) and a in text]
                    if not answers or not qa["question"].strip():
                        continue
                    group.append({
                        "id": f"drcd-{qa['id']}", "question": normalize(qa["question"]),
                        "question_traditional": qa["question"], "answers": answers, "source": source,
                        "title": title, "kind": "drcd", "answer_occurrences": norm(text).count(norm(answers[0])),
                        "split": split,
                    })
                record = {"title": title, "text": text, "source": source}
                if absent:
                    group = [_negative(q, "topic_absent") for q in group]
                else:
                    if paragraph_number % 3 == 1:
                        (record,), cut = fact_absent([record], group)
                        group = [q if q["kind"] != UNANSWERABLE else _negative(q, "fact_absent") for q in cut]
                    paragraph_number += 1
                    corpus.append(record)
                for q in group:
                    questions[q.pop("split")].append(q)
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "corpus.jsonl", corpus)
    counts = {"paragraphs": len(corpus)}
    for split, items in questions.items():
        write_jsonl(out / f"{split}.jsonl", items)
        for q in items:
            kind = q.get("absent", "answerable")
            counts[f"{split} {kind}"] = counts.get(f"{split} {kind}", 0) + 1
    return counts


def _negative(q: dict, absent: str) -> dict:
    return {**q, "kind": UNANSWERABLE, "answers": [], "source": None, "title": None,
            "answer_occurrences": 0, "absent": absent}
