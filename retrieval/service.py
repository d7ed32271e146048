"""The answering service: the one thing front ends talk to.

Question in, quoted passages out. Everything a reader sees is cut from an article, and when the best
evidence is too weak the answer says so (``answered=False``) rather than dressing noise up as a quote.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from retrieval.answers import Answer, CorpusInfo
from retrieval.errors import IndexMissingError, QuestionError
from retrieval.index import (
    BuildReport,
    Index,
    Progress,
    quiet,
    build_index,
    check_compatible,
    corpus_changes,
    load_index,
    read_manifest,
)
from retrieval.normalize import language
from retrieval.quotes import select_passages
from retrieval.search import Searcher
from retrieval.settings import Settings

_WORDLIKE = re.compile(r"[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def build(
    settings: Settings,
    *,
    embedder=None,
    progress: Progress = quiet,
) -> BuildReport:
    """Rebuild the index at ``settings.index_dir`` from ``settings.corpus_paths``."""
    from retrieval.embedding import Embedder

    embedder = embedder or Embedder(settings, progress=progress)
    return build_index(
        settings.corpus_paths,
        settings.index_dir,
        embedder,
        chunk_max_chars=settings.chunk_max_chars,
        chunk_overlap=settings.chunk_overlap,
        progress=progress,
    )


def validate_question(question: str, max_chars: int) -> str:
    """The question as it will be searched, or a QuestionError a person can act on."""
    question = question.strip()
    if not question:
        raise QuestionError("请输入一个问题。 / Please type a question.")
    if len(question) > max_chars:
        raise QuestionError(
            f"问题太长（{len(question)} 字），请控制在 {max_chars} 字以内。 / "
            f"The question is too long ({len(question)} characters); keep it under {max_chars}."
        )
    if not _WORDLIKE.search(question):
        raise QuestionError("请用文字提问。 / Please ask your question in words.")
    return question


class AnswerService:
    def __init__(self, settings: Settings, index: Index, embedder) -> None:
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self.searcher = Searcher(index, embedder)

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        embedder=None,
        build_if_needed: bool = False,
        progress: Progress = quiet,
    ) -> AnswerService:
        """Load the index and the model once. With ``build_if_needed`` (the REPL, the bot) a missing
        index, or one that no longer matches the corpus, is (re)built first."""
        from retrieval.embedding import Embedder

        embedder = embedder or Embedder(settings, progress=progress)
        index_dir = settings.index_dir

        def compatible_manifest() -> dict:
            manifest = read_manifest(index_dir)
            check_compatible(
                manifest, index_dir, model=embedder.identity,
                chunk_max_chars=settings.chunk_max_chars, chunk_overlap=settings.chunk_overlap,
            )
            return manifest

        if build_if_needed:
            reason = None
            try:
                manifest = compatible_manifest()
                changes = corpus_changes(manifest, settings.corpus_paths)
                if changes:
                    reason = "the corpus changed (" + "; ".join(changes[:3]) + ")."
            except IndexMissingError:
                reason = "there is no index yet."
            except Exception as exc:  # stale or damaged: rebuilding is the fix we would suggest anyway
                reason = str(exc)
            if reason:
                progress(f"Building the index: {reason}")
                build(settings, embedder=embedder, progress=progress)
        compatible_manifest()
        return cls(settings, load_index(index_dir), embedder)

    def corpus_changes(self) -> list[str]:
        """Files of the corpus this index was built from that were edited, added or removed since."""
        built_from = [Path(p) for p in self.index.manifest.get("corpus_paths", [])]
        return corpus_changes(self.index.manifest, built_from)

    def ask(self, question: str, top_k: int | None = None) -> Answer:
        started = time.perf_counter()
        question = validate_question(question, self.settings.max_question_chars)
        top_k = top_k or self.settings.top_k
        hits, confidence = self.searcher.search(question, limit=max(50, top_k * 10))
        answered = bool(hits) and confidence >= self.settings.answer_threshold
        passages = select_passages(self.index, hits, top_k, threshold=self.settings.answer_threshold)
        return Answer(
            question=question,
            answered=answered,
            passages=passages if answered else [],
            language=language(question),
            seconds=time.perf_counter() - started,
        )

    def info(self) -> CorpusInfo:
        m = self.index.manifest
        dates = sorted(
            {a.date for a in self.index.articles if a.date},
            key=lambda d: tuple(int(x) for x in re.findall(r"\d+", d)[-2:]),
        )
        sources = sorted({a.source for a in self.index.articles})
        return CorpusInfo(
            articles=len(self.index.articles),
            issues=len(m.get("files", {})) or len(sources),
            chunks=len(self.index.chunks),
            first_date=dates[0] if dates else None,
            last_date=dates[-1] if dates else None,
            model=m.get("model", ""),
            built_at=m.get("built_at", ""),
            sources=sources,
        )

