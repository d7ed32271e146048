"""SQuAD-format files (CMRC 2018, DRCD) as a corpus plus questions, and JSONL writing."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path

from evaluation.scoring import UNANSWERABLE, EvalDataError, norm

log = logging.getLogger(__name__)


def write_jsonl(path: Path, records: Iterable[dict]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def convert_squad(squad_path: Path, out_dir: Path) -> tuple[Path, Path]:
    """Turn a SQuAD-format file (CMRC 2018) into ``corpus.jsonl`` + ``questions.jsonl``.

    Each paragraph becomes one article ``{"title", "text", "source": "cmrc-<paragraph id>"}`` and each
    question an item of kind ``cmrc`` whose gold source is its paragraph, as the README's "CMRC 2018 as
    a corpus" says. This gives a second, larger, independently written test set for the same pipeline.
    Paragraphs without an ``id`` (plain SQuAD) get ``<entry index>-<paragraph index>``; questions with no
    answers (SQuAD 2.0) become ``unanswerable`` items. Questions whose text is empty are skipped with a
    logged warning: nobody can ask them (the service rejects an empty question), so scoring them would
    only add misses. The CMRC 2018 trial set has two (TRIAL_776_QUERY_4, TRIAL_20_QUERY_0), hence
    1,000 questions out of its 1,002. Returns ``(corpus_path, questions_path)``.
    """
    squad_path, out_dir = Path(squad_path), Path(out_dir)
    try:
        data = json.loads(squad_path.read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EvalDataError(f"{squad_path}: not a readable SQuAD-format file ({exc!r})") from exc
    corpus: list[dict] = []
    questions: list[dict] = []
    seen_sources: set[str] = set()
    skipped: list[str] = []
    for ei, entry in enumerate(data):
        title = entry.get("title") or None
        for pi, para in enumerate(entry["paragraphs"]):
            source = f"cmrc-{para.get('id') or f'{ei}-{pi}'}"
            if source in seen_sources:
                raise EvalDataError(f"{squad_path}: two paragraphs share the source {source!r}")
            seen_sources.add(source)
            context = para["context"]
            corpus.append({"title": title, "text": context, "source": source})
            normed_context = norm(context)
            for qi, qa in enumerate(para.get("qas", [])):
                if not qa.get("question", "").strip():
                    skipped.append(qa.get("id") or f"{source}-q{qi}")
                    continue
                answers = list(dict.fromkeys(a["text"] for a in qa.get("answers", []) if norm(a["text"])))
                questions.append(
                    {
                        "id": qa.get("id") or f"{source}-q{qi}",
                        "question": qa["question"],
                        "answers": answers,
                        "source": source if answers else None,
                        "title": title if answers else None,
                        "kind": "cmrc" if answers else UNANSWERABLE,
                        "answer_occurrences": normed_context.count(norm(answers[0])) if answers else 0,
                    }
                )
    if skipped:
        log.warning(
            "%s: skipped %d question(s) with empty text: %s", squad_path, len(skipped), ", ".join(skipped)
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    corpus_path, questions_path = out_dir / "corpus.jsonl", out_dir / "questions.jsonl"
    write_jsonl(corpus_path, corpus)
    write_jsonl(questions_path, questions)
    return corpus_path, questions_path
