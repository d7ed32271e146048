"""The answering service: the one thing front ends talk to.

Question in, quoted passages out. Everything a reader sees is cut from an article, and when the best
evidence is too weak the answer says so (``answered=False``) rather than dressing noise up as a quote.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from retrieval.answers import Answer, CorpusInfo, FullArticle, Headline, IssueContents, IssueInfo, Passage
from retrieval.corpus.dates import IssueDate, parse_iso
from retrieval.errors import IndexMissingError, LookupFailed, NewsqaError, QuestionError
from retrieval.index.build import BuildReport, build_index
from retrieval.index.store import (
    Index,
    Progress,
    quiet,
    check_compatible,
    check_facts,
    corpus_changes,
    load_index,
    read_manifest,
)
from retrieval.ranking.answer_types import answer_span
from retrieval.ranking.english import glossary
from retrieval.ranking.followup import Topic
from retrieval.ranking.followup import resolve as resolve_followup
from retrieval.ranking.query import Query
from retrieval.ranking.ranker import RANKER
from retrieval.ranking.quotes import select_passages
from retrieval.ranking.search import Hit, Searcher
from retrieval.settings import Settings
from retrieval.text import CJK, language, normalize

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
            check_facts(manifest, index_dir)
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

    def prepare_in_background(self) -> threading.Thread:
        """Load, on a background thread, what only some questions need and the first of them would
        otherwise wait for: torch's first forward pass (its kernels are set up then: a few tenths of
        a second), the learned ranker (LightGBM), jieba's part-of-speech tags (half a second; names and places in answers,
        follow-ups) and the English dictionary (over a second; English questions). For
        processes that stay up (the REPL, the bot) once the service is open; a one-shot ``ask``
        does not call it: its one question would share the interpreter with the loading."""
        def load() -> None:
            self.searcher.vector(self.searcher.query("株洲日报"))
            RANKER.booster  # LightGBM's import and the model: 0.3 s
            import jieba.posseg

            jieba.posseg.lcut("株洲日报")  # its tags, and the default dictionary it tags with

            glossary()

        # not a daemon: a process that exits while torch runs on a daemon thread aborts
        # ("terminate called without an active exception"); exit waits for the loading instead
        thread = threading.Thread(target=load, name="newsqa-prepare")
        thread.start()
        return thread

    @property
    def built_from(self) -> list[Path]:
        """The corpus paths the index was built from, as its manifest records them."""
        return [Path(p) for p in self.index.manifest.get("corpus_paths", [])]

    def corpus_changes(self, corpus_paths: list[Path] | None = None) -> list[str]:
        """Files added, edited or removed since the index was built: in ``corpus_paths``, or by
        default in the folders it was built from. Compared by content, not by path."""
        return corpus_changes(self.index.manifest, corpus_paths or self.built_from)

    def ask(self, question: str, top_k: int | None = None, previous: Answer | None = None) -> Answer:
        """The one path a question takes: validated, normalized and classified once (a
        :class:`~retrieval.ranking.query.Query`), searched, judged, quoted. With ``previous`` (the
        last answer of this chat or session) a follow-up that leans on it ("他…", "该项目…",
        "那E区呢?", "还有呢?") is first rewritten with what it was about and prefers its article;
        any other question is searched exactly as without it."""
        clock = [time.perf_counter()]

        def lap() -> float:
            clock.append(time.perf_counter())
            return clock[-1] - clock[-2]

        asked = validate_question(question, self.settings.max_question_chars)
        resolved = resolve_followup(asked, previous.topic if previous is not None else None)
        query = self.searcher.query(resolved.text if resolved else asked)
        understood = lap()
        vector = self.searcher.vector(query)
        embedded = lap()
        hits, probability = self.searcher.search(query, vector, prefer=resolved.article if resolved else None)
        searched = lap()
        answered = bool(hits) and probability >= self.settings.min_probability
        ranked = hits if answered else []
        count = top_k or self.settings.top_k
        seen = previous.topic.quotes if resolved and resolved.again else ()
        passages = select_passages(
            self.index, ranked, count + len(seen), holds=self.searcher.holds(query), account=query.account
        )
        passages = self._cite([p for p in passages if p.quote not in seen][:count], query)
        answered = answered and bool(passages)
        quoted = lap()
        return Answer(
            question=asked,
            answered=answered,
            passages=passages if answered else [],
            probability=probability,
            sure=answered and probability >= self.settings.sure_probability,
            language=query.language if resolved is None else language(normalize(asked)),
            seconds=clock[-1] - clock[0],
            stages=(("understand", understood), ("embed", embedded), ("search", searched), ("quote", quoted)),
            ranked=tuple((h.sentence, h.score) for h in ranked),
            when=query.when.label if query.when else None,
            on_date=bool(query.when and ranked and self.searcher.on_date(query, ranked[0].sentence)),
            read_as=resolved.note if resolved else None,
            topic=self._topic(query.text, passages if answered else []),
        )

    def _topic(self, searched: str, passages: list[Passage]) -> Topic:
        """What an answer was about, for a follow-up: the question as searched, its best article,
        the quotes shown (the first one's entities, and the question's, are found when a follow-up asks)."""
        return Topic(searched, passages[0].article if passages else -1, tuple(p.quote for p in passages))

    def more(self, answer: Answer, count: int) -> list[Passage]:
        """The first ``count`` passages of ``answer``, cut from the ranking it already holds: "more
        passages" pages through one search instead of running another."""
        searched = answer.topic.question if answer.topic is not None else answer.question
        query = self.searcher.query(searched)
        passages = select_passages(
            self.index, [Hit(i, s) for i, s in answer.ranked], count, holds=self.searcher.holds(query), account=query.account
        )
        return self._cite(passages, query)

    def _cite(self, passages: list[Passage], query: Query) -> list[Passage]:
        """Each passage with its issue's date and the words of its quote that answer ``query``."""
        cited = []
        for p in passages:
            issue = self.index.issue_dates.get(p.source)
            span = answer_span(p.quote, query.kinds, query.unit, query.places, query.normalized)
            cited.append(replace(
                p, issue_date=issue.label() if issue else None,
                answer_start=span[0] if span else -1, answer_end=span[1] if span else -1,
            ))
        return cited

    # -- the paper as a paper: issues, their headlines, whole articles ------------------------

    def _issue_info(self, key: str, date: IssueDate | None, articles: int) -> IssueInfo:
        return IssueInfo(
            key=key, date=date.iso() if date else None, date_label=date.label() if date else None,
            inferred=bool(date and date.inferred), articles=articles,
        )

    def issues(self) -> list[IssueInfo]:
        """Every issue, newest first (issues without a date last, by file name)."""
        # one pass over the articles for all issues: ten years are ~3,600 issues of ~40 articles
        counts = Counter(self.index.articles.meta["source"])
        dated = sorted(((k, d) for k, d in self.index.issues if d), key=lambda it: it[1].sort_key(), reverse=True)
        undated = sorted((k, d) for k, d in self.index.issues if d is None)
        return [self._issue_info(k, d, counts[k]) for k, d in dated + undated]

    def issue(self, key: str) -> IssueContents:
        """The headlines of one issue, named by its date ("2024-01-05", "20240105", or "01-05"
        when the year is unknown), its file name, its file name without the suffix, or a prefix of
        it naming one issue ("002"). Anything else is a :class:`LookupFailed` saying what exists."""
        key = key.strip()
        names = [k for k, _ in self.index.issues]
        by_date = parse_iso(key, "asked")
        matches = [
            k for k, d in self.index.issues
            if d is not None and by_date is not None and d.sort_key() == by_date.sort_key()
        ] or [k for k in names if key in (k, k.rsplit(".", 1)[0], Path(k).name)]
        if not matches and key:
            matches = [k for k, d in self.index.issues if (d and d.iso() == key) or k.startswith(key)]
        if len(matches) != 1:
            known = ", ".join(f"{i.date or '?'} ({i.key})" for i in self.issues()) or "none"
            why = "names several issues" if matches else "is not an issue of this archive"
            raise LookupFailed(f"“{key}” {why}. Issues: {known}")
        name = matches[0]
        meta = self.index.articles.meta
        headlines = [
            Headline(i, title, date)
            for i, (title, date, source) in enumerate(zip(meta["title"], meta["date"], meta["source"]))
            if source == name
        ]
        return IssueContents(
            issue=self._issue_info(name, self.index.issue_dates.get(name), len(headlines)), headlines=headlines
        )

    def latest(self) -> IssueContents:
        """The newest dated issue's headlines (or the last file's, when no issue has a date)."""
        issues = self.issues()
        if not issues:
            raise LookupFailed("This archive holds no issue files (only JSONL records).")
        return self.issue(issues[0].key)

    def article(self, article: int, mark: tuple[int, int] | None = None) -> FullArticle:
        """The whole article number ``article`` (:attr:`Passage.article`, :attr:`Headline.article`),
        with ``mark`` (start, end in its text) as the quoted sentence to show marked."""
        if not 0 <= article < len(self.index.articles):
            raise LookupFailed(f"There is no article {article} (the archive has {len(self.index.articles)}).")
        a = self.index.articles[article]
        start, end = mark if mark and 0 <= mark[0] < mark[1] <= len(a.text) else (-1, -1)
        issue = self.index.issue_dates.get(a.source)
        return FullArticle(
            article=article, title=a.title, subtitle=a.subtitle, byline=a.byline, date=a.date,
            source=a.source, issue_date=issue.label() if issue else None, text=a.text,
            mark_start=start, mark_end=end,
        )

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

