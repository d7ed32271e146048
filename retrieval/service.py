"""The answering service: the one thing front ends talk to.

Question in, quoted passages out. Everything a reader sees is cut from an article, and when the best
evidence is too weak the answer says so (``answered=False``) rather than dressing noise up as a quote.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

from retrieval.answers import Answer, CorpusInfo, Passage
from retrieval.errors import IndexMissingError, NewsqaError, QuestionError
from retrieval.index.build import BuildReport, build_index
from retrieval.index.store import (
    Index,
    Progress,
    quiet,
    check_compatible,
    corpus_changes,
    load_index,
    read_manifest,
)
from retrieval.ranking.quotes import select_passages
from retrieval.ranking.search import Hit, Searcher
from retrieval.ranking.tuning import TUNING
from retrieval.settings import Settings
from retrieval.text import CJK

_WORDLIKE = re.compile(f"[0-9A-Za-z{CJK}\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def build(
    settings: Settings,
    *,
    embedder=None,
    progress: Progress = quiet,
) -> BuildReport:
    """Rebuild the index at ``settings.index_dir`` from ``settings.corpus_paths``."""
    from retrieval.model.embedding import Embedder, use_threads

    if embedder is None:
        embedder = Embedder.lazy(settings, progress=progress)  # sets the build's threads when it loads
    else:
        use_threads("build")
    return build_index(
        settings.corpus_paths,
        settings.index_dir,
        embedder,
        chunk_max_chars=settings.chunk_max_chars,
        chunk_overlap=settings.chunk_overlap,
        progress=progress,
    )


def add(
    settings: Settings,
    files: list[Path],
    *,
    embedder=None,
    progress: Progress = quiet,
) -> BuildReport:
    """Put ``files`` (the day's issue) into the corpus folder and bring the index up to date: only
    their articles are embedded. The first corpus path that is a folder receives them, so later
    builds and the corpus check see them as part of the archive."""
    from retrieval.corpus.ingest import ISSUE_SUFFIXES, RECORD_SUFFIXES

    folder = next((p for p in settings.corpus_paths if p.is_dir()), None)
    if folder is None:
        raise NewsqaError("newsqa add copies files into the corpus folder, but no corpus path is a folder: "
                          "set corpus_paths (NEWSQA_CORPUS_PATHS or --corpus) to one")
    for file in files:
        if not file.is_file():
            raise NewsqaError(f"{file}: no such file")
        if file.suffix.lower() not in ISSUE_SUFFIXES | RECORD_SUFFIXES:
            raise NewsqaError(f"{file}: not a .txt, .md or .jsonl file")
        target = folder / file.name
        if target.exists() and target.read_bytes() != file.read_bytes():
            raise NewsqaError(f"{target} already exists with other content; rename {file} or replace it by hand")
    for file in files:
        target = folder / file.name
        if not target.exists() or not target.samefile(file):
            shutil.copyfile(file, target)
        progress(f"Added {file.name} to {folder}")
    return build(settings, embedder=embedder, progress=progress)


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
        index, or one that no longer matches the corpus, is (re)built first. The process then
        serves: the model runs questions on one thread each (set here, once, before any worker
        thread asks)."""
        from retrieval.model.embedding import Embedder, use_threads

        embedder = embedder or Embedder.from_settings(settings, progress=progress)
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
        service = cls(settings, load_index(index_dir), embedder)
        # OpenCC and jieba load their dictionaries on first use: here, not in the first question
        service.searcher.query("株洲日报")
        use_threads("serve")
        return service

    def corpus_changes(self, corpus_paths: list[Path] | None = None) -> list[str]:
        """Files added, edited or removed since the index was built: in ``corpus_paths``, or by
        default in the folders it was built from. Compared by content, not by path."""
        paths = corpus_paths or [Path(p) for p in self.index.manifest.get("corpus_paths", [])]
        return corpus_changes(self.index.manifest, paths)

    def ask(self, question: str, top_k: int | None = None) -> Answer:
        """The one path a question takes: validated, normalized and classified once (a
        :class:`~retrieval.ranking.query.Query`), searched, judged, quoted."""
        started = time.perf_counter()
        query = self.searcher.query(validate_question(question, self.settings.max_question_chars))
        hits, confidence = self.searcher.search(query)
        answered = bool(hits) and confidence >= TUNING.answer_threshold
        ranked = hits if answered else []
        passages = select_passages(self.index, ranked, top_k or self.settings.top_k)
        return Answer(
            question=query.text,
            answered=answered,
            passages=passages,
            language=query.language,
            seconds=time.perf_counter() - started,
            ranked=tuple((h.sentence, h.score) for h in ranked),
        )

    def more(self, answer: Answer, count: int) -> list[Passage]:
        """The first ``count`` passages of ``answer``, cut from the ranking it already holds: "more
        passages" pages through one search instead of running another."""
        return select_passages(self.index, [Hit(i, s) for i, s in answer.ranked], count)

    def info(self) -> CorpusInfo:
        m = self.index.manifest
        meta = self.index.articles.meta
        dates = sorted(
            {d for d in meta["date"] if d},
            key=lambda d: tuple(int(x) for x in re.findall(r"\d+", d)[-2:]),
        )
        return CorpusInfo(
            articles=len(self.index.articles),
            issues=len(m.get("files", {})) or len(set(meta["source"])),
            chunks=len(self.index.chunks),
            first_date=dates[0] if dates else None,
            last_date=dates[-1] if dates else None,
            model=m.get("model", ""),
            built_at=m.get("built_at", ""),
        )

