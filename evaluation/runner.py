"""``newsqa eval``: ask every question of a file through the service and score the answers.

A consumer of the library like the front ends: it opens an :class:`AnswerService`, asks, and scores
with :mod:`evaluation.scoring`. The quotes are checked against the corpus files as read from disk
(``retrieval.corpus.ingest``), not against what the index holds: a verbatim check must not trust the
thing it checks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from evaluation.scoring import TOP_K, EvalReport, load_questions, score
from evaluation.squad import convert_squad
from retrieval import AnswerService, Settings
from retrieval.corpus.ingest import ingest


def prepare(questions: Path, settings: Settings, *, squad: bool, squad_out: Path | None,
            index_given: bool, say: Callable[[str], None]) -> tuple[Path, Settings]:
    """The question file and the settings to score it with: a SQuAD file is converted into a corpus
    of its own (indexed beside it unless ``--index`` was given)."""
    if not squad:
        return questions, settings
    out = squad_out or (settings.cache_dir / "eval" / questions.stem)
    corpus_path, qa_path = convert_squad(questions, out)
    say(f"Converted {questions} into {corpus_path} and {qa_path}")
    updates: dict[str, object] = {"corpus_paths": [corpus_path]}
    if not index_given:
        updates["index_dir"] = out / "index"
    return qa_path, settings.model_copy(update=updates)


def run(questions: Path, service: AnswerService, say: Callable[[str], None] = lambda _: None) -> EvalReport:
    """Score ``questions`` with ``service`` (opened by the caller, as the front ends open theirs:
    an index named on the command line is never rebuilt from another corpus unasked). The quotes
    are checked against the files the index was built from (its manifest names them), read now;
    the configured corpus when those paths are gone (an index moved with its corpus)."""
    items = load_questions(questions)
    started = time.perf_counter()
    answers = [service.ask(item.question, top_k=TOP_K) for item in items]
    say(f"Asked {len(items)} questions in {time.perf_counter() - started:.1f} s")
    built_from = service.built_from
    corpus = built_from if built_from and all(p.exists() for p in built_from) else service.settings.corpus_paths
    return score(items, answers, ingest(corpus).sources)
