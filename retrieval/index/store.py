"""The on-disk index, format 3: flat arrays that load by memory-mapping, and a manifest.

Everything the searcher needs is computed at build (:mod:`retrieval.index.build`) and stored:
sentence and chunk vectors (float32 ``.npy``), the rows of articles, sentences and chunks, each
sentence's answer kinds and chunks, the keyword statistics (:mod:`~retrieval.index.terms`), BM25
(:mod:`~retrieval.index.lexical`) and, above a size, an approximate vector index
(:mod:`~retrieval.index.vectors`). Loading maps these files and builds no per-sentence Python
objects, so opening a million sentences takes seconds, and pages are read as questions touch them.

A build writes into a fresh directory and only then flips a symlink to it (``os.replace`` is atomic),
so a crash or Ctrl-C halfway through leaves the previous index in place and usable. The manifest,
written last, records what the vectors mean — model identity, dimension, chunker version, the hash of
every corpus file — and loading refuses an index whose vectors would not match the running model.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xxhash

from retrieval.corpus.article import Article
from retrieval.corpus.chunking import CHUNKER_VERSION, Chunk, Sentence
from retrieval.corpus.dates import SIDECAR, IssueDate
from retrieval.corpus.ingest import content_hash, discover
from retrieval.errors import IndexBusyError, IndexMissingError, NewsqaError, StaleIndexError
from retrieval.index.lexical import LexicalIndex
from retrieval.index.terms import TermIndex, Texts, mapped
from retrieval.index.vectors import VectorSearch
from retrieval.ranking.answer_types import FACTS_VERSION

# 2: per-sentence facts (answer kinds, byline) and sentence → chunk maps are stored, not derived at load
# 3: everything memory-mapped: term statistics, BM25 with its tokens, article texts as arrays,
#    vectors as .npy (and an approximate index above a size), per-article content hashes
# 4: the facts hold two finer kinds of date, a year and a day of the month (answer_types.KINDS):
#    every bit after "date" moved
# 5: the facts hold an organization kind (answer_types.KINDS): the byline bit moved
# 6: a two-digit "13年" is a length of time, not a date ("过去的13年"; "民国13年" still is one), and
#    "3个小时" / "两个多星期" are lengths of time
INDEX_FORMAT = 6
MANIFEST = "manifest.json"
ISSUES = "issues.json"  # the issue files with their publication dates
# files up to this size are checked whole at every load (xxh3 runs at memory speed: 4 ms for the
# seed index); larger ones by size and a hash of their first and last block, so that opening a
# million sentences does not read gigabytes first
FULL_CHECK_BYTES = 32 << 20
SAMPLE_BYTES = 1 << 20
Progress = Callable[[str], None]


def quiet(_: str) -> None:
    """The default progress callback: say nothing."""


def file_checksum(path: Path) -> str:
    """xxh3-128 of a file, read in blocks: recorded for every index file at build and checked at
    load, so a damaged index is refused instead of answering wrongly (xxh3 runs at memory speed)."""
    digest = xxhash.xxh3_128()
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def file_sample(path: Path) -> str:
    """Size and xxh3-128 of the first and last :data:`SAMPLE_BYTES` of a large file."""
    digest = xxhash.xxh3_128()
    size = path.stat().st_size
    with open(path, "rb") as f:
        digest.update(f.read(SAMPLE_BYTES))
        f.seek(max(0, size - SAMPLE_BYTES))
        digest.update(f.read(SAMPLE_BYTES))
    return f"{size}:{digest.hexdigest()}"


def checksums(directory: Path) -> dict[str, str]:
    """What load checks for every file under ``directory``: its xxh3, or for a large file its
    size and sampled xxh3 (prefixed ``sample:``)."""
    out = {}
    for p in sorted(directory.rglob("*")):
        if p.is_file() and p.name != MANIFEST:
            name = p.relative_to(directory).as_posix()
            out[name] = file_checksum(p) if p.stat().st_size <= FULL_CHECK_BYTES else "sample:" + file_sample(p)
    return out


def _check_file(path: Path, expected: str) -> bool:
    try:
        if expected.startswith("sample:"):
            return file_sample(path) == expected[len("sample:"):]
        return file_checksum(path) == expected
    except OSError:
        return False


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time per index: an exclusive ``flock`` on a lock file beside it, held for the
    whole build. A second build does not wait silently: it says who holds the lock and stops (the
    kernel drops the lock when its holder dies, even by kill -9, so a stale lock never blocks)."""
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    path = index_dir.parent / f".{index_dir.name}.lock"
    with open(path, "a+", encoding="utf-8") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            raise IndexBusyError(
                f"Another build is writing {index_dir} ({holder}); wait for it to finish, then run again"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)


class Rows(Sequence):
    """Rows of an int array seen as frozen dataclasses, built only when one is asked for."""

    def __init__(self, rows: np.ndarray, kind: type) -> None:
        self.rows = rows
        self.kind = kind

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int):  # type: ignore[override]
        return self.kind(*map(int, self.rows[i]))


class Articles(Sequence):
    """The articles, each built from the stored columns and text when one is asked for."""

    def __init__(self, meta: dict[str, list], texts: Texts, offsets: np.ndarray) -> None:
        self.meta = meta
        self.texts = texts
        self.offsets = offsets  # source offsets of every character, end to end (memory-mapped)

    def __len__(self) -> int:
        return len(self.meta["title"])

    def __getitem__(self, a: int) -> Article:  # type: ignore[override]
        first, last = int(self.texts.starts[a]) - a, int(self.texts.starts[a + 1]) - a - 1
        m = self.meta
        return Article(
            title=m["title"][a], text=self.texts[a], offsets=tuple(self.offsets[first:last].tolist()),
            source=m["source"][a], subtitle=m["subtitle"][a], byline=m["byline"][a], date=m["date"][a],
        )


@dataclass
class Index:
    """A loaded index. Arrays are indexed by sentence / chunk number and memory-mapped."""

    directory: Path
    manifest: dict
    articles: Articles
    sentence_rows: np.ndarray  # (sentences, 4): article, start, end, joins_next
    chunk_rows: np.ndarray  # (chunks, 5): article, start, end, first_sentence, last_sentence
    sentence_vectors: VectorSearch
    chunk_vectors: VectorSearch
    lexical: LexicalIndex
    terms: TermIndex
    chunk_of_sentence: np.ndarray  # for each sentence, the chunk that shows it with most context
    sentence_chunks: np.ndarray  # (sentences, k): the chunks holding each sentence, padded with -1
    facts: np.ndarray  # for each sentence, the answer kinds it holds (answer_types bits)
    # the issue files in corpus order, each with its publication date (None when unknown)
    issues: list[tuple[str, IssueDate | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.issue_dates: dict[str, IssueDate | None] = dict(self.issues)  # by file name
        self.sentences = Rows(self.sentence_rows, _sentence)
        self.chunks = Rows(self.chunk_rows, Chunk)
        self.sentence_matrix = self.sentence_vectors.matrix
        self.chunk_matrix = self.chunk_vectors.matrix

    def sentence_text(self, i: int) -> str:
        a, start, end, _ = (int(x) for x in self.sentence_rows[i])
        base = int(self.articles.texts.starts[a])
        return self.articles.texts.codes[base + start : base + end].tobytes().decode("utf-32-le")


def _sentence(article: int, start: int, end: int, joins_next: int) -> Sentence:
    return Sentence(article, start, end, bool(joins_next))


def sentence_chunk_maps(chunks: list[Chunk], n_sentences: int) -> tuple[np.ndarray, np.ndarray]:
    """For each sentence, every chunk holding it (padded with -1) and the one that shows it with
    the most context on both sides. Depends on the chunking only, so it is computed at build."""
    holders: list[list[int]] = [[] for _ in range(n_sentences)]
    best = np.zeros(n_sentences, dtype=np.int64)
    room_of = np.full(n_sentences, -1, dtype=np.int64)
    for c, chunk in enumerate(chunks):
        for s in range(chunk.first_sentence, chunk.last_sentence):
            holders[s].append(c)
            room = min(s - chunk.first_sentence, chunk.last_sentence - 1 - s)
            if room > room_of[s]:
                room_of[s], best[s] = room, c
    width = max((len(h) for h in holders), default=1) or 1
    padded = np.full((n_sentences, width), -1, dtype=np.int64)
    for s, h in enumerate(holders):
        padded[s, : len(h)] = h
    return best, padded


def remove_abandoned(index_dir: Path, versions: Path) -> None:
    """What builds killed halfway (crash, kill -9) left behind: half-built versions and switch
    links. Called under the build lock, so no other build can still be using them."""
    for path in versions.glob(".building-*"):
        shutil.rmtree(path, ignore_errors=True)
    for link in index_dir.parent.glob(f".{index_dir.name}.link-*"):
        link.unlink(missing_ok=True)


def switch(index_dir: Path, final: Path) -> None:
    """Point ``index_dir`` at ``final`` in one atomic step, then drop the versions no longer used.
    The version it pointed at until now is kept: a reader that resolved the link a moment ago is
    still reading it (see :func:`load_index`)."""
    previous = index_dir.resolve() if index_dir.is_symlink() else None
    link = index_dir.parent / f".{index_dir.name}.link-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(os.path.relpath(final, index_dir.parent))
    if index_dir.exists() and not index_dir.is_symlink():
        # an index directory from before versioning (or made by hand): keep it beside the versions
        index_dir.rename(final.parent / f"legacy-{time.time_ns()}")
    os.replace(link, index_dir)
    for old in final.parent.iterdir():
        if old not in (final, previous) and not old.name.startswith(".building-"):
            shutil.rmtree(old, ignore_errors=True)


def read_manifest(index_dir: Path) -> dict:
    path = index_dir / MANIFEST
    if index_dir.is_dir() and not path.exists() and any(index_dir.iterdir()):
        raise IndexMissingError(
            f"{index_dir} is not a newsqa index (it has no {MANIFEST}) and newsqa will not build over "
            "what is in it: choose another --index folder, or empty this one first"
        )
    if not path.exists():
        raise IndexMissingError(
            f"No index at {index_dir}. Build it with: newsqa build --index {index_dir} "
            "(or scripts/build_index.py)"
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StaleIndexError(f"The index at {index_dir} is damaged ({exc}). Rebuild it: newsqa build --index {index_dir}") from exc


def check_compatible(manifest: dict, index_dir: Path, *, model: str, chunk_max_chars: int, chunk_overlap: int) -> None:
    """Refuse vectors that mean something else than what the running code would produce."""
    rebuild = f"Rebuild it: newsqa build --index {index_dir} (or python scripts/build_index.py --index {index_dir})"
    if manifest.get("format") != INDEX_FORMAT:
        raise StaleIndexError(f"The index at {index_dir} has format {manifest.get('format')}, this newsqa reads format {INDEX_FORMAT}. {rebuild}")
    if manifest.get("model") != model:
        raise StaleIndexError(
            f"The index at {index_dir} was built with the model {manifest.get('model')!r}, "
            f"but the configured model is {model!r}: their vectors are not comparable. {rebuild}"
        )
    if manifest.get("chunker") != CHUNKER_VERSION:
        raise StaleIndexError(
            f"The index at {index_dir} was built by chunker version {manifest.get('chunker')}, "
            f"this newsqa uses version {CHUNKER_VERSION}. {rebuild}"
        )
    if (manifest.get("chunk_max_chars"), manifest.get("chunk_overlap")) != (chunk_max_chars, chunk_overlap):
        raise StaleIndexError(
            f"The index at {index_dir} was built with chunks of {manifest.get('chunk_max_chars')} characters "
            f"(overlap {manifest.get('chunk_overlap')}), the settings now ask for {chunk_max_chars} "
            f"(overlap {chunk_overlap}). {rebuild}"
        )


def facts_current(manifest: dict) -> bool:
    """Whether the index's answer kinds (``facts.npy``) are this sentence_facts' (an index of
    before the version was recorded holds version 1)."""
    return manifest.get("facts", 1) == FACTS_VERSION


def check_facts(manifest: dict, index_dir: Path) -> None:
    """Refuse answer kinds (``facts.npy``) that another version of sentence_facts found: questions
    would be classified by this one. A build recomputes them and reuses the vectors."""
    if not facts_current(manifest):
        raise StaleIndexError(
            f"The index at {index_dir} holds answer kinds of version {manifest.get('facts', 1)}, this newsqa "
            f"finds version {FACTS_VERSION}. Rebuild it (its vectors are reused): newsqa build --index {index_dir}"
        )


def corpus_hashes(corpus_paths: list[Path]) -> tuple[dict[str, str], bool]:
    """Citation name → content hash of every readable corpus file, and whether every path and
    file could be read."""
    files, problems = discover(corpus_paths)
    current: dict[str, str] = {}
    complete = not problems
    for file in files:
        try:
            current[file.name] = content_hash(file.path.read_bytes())
        except OSError:
            complete = False
    return current, complete


def corpus_changes(manifest: dict, corpus_paths: list[Path]) -> list[str]:
    """Which corpus files were added, removed or edited since the index was built. Files are
    compared by content, not by path: the same files in another folder are the same corpus."""
    try:
        current, _ = corpus_hashes(corpus_paths)  # an unreadable file: the build reports and skips it too
    except NewsqaError as exc:
        return [str(exc)]
    built: dict[str, str] = manifest.get("files", {})
    built_hashes, current_hashes = set(built.values()), set(current.values())
    changes = [f"new or changed: {n}" for n, h in current.items() if h not in built_hashes]
    changes += [f"removed or changed: {n}" for n, h in built.items() if h not in current_hashes]
    if sidecar_hashes(corpus_paths) != manifest.get("sidecars", {}):
        changes.append(f"the issue dates ({SIDECAR}) changed")
    return changes


def sidecar_hashes(corpus_paths: list[Path]) -> dict[str, str]:
    """The content hash of each corpus root's issues.csv: editing one changes the issue dates."""
    found = {}
    for root in corpus_paths:
        try:
            found[root.name + "/" + SIDECAR] = content_hash((root / SIDECAR).read_bytes())
        except OSError:
            continue
    return found


def load_index(index_dir: Path) -> Index:
    """Load a finished index (compatibility is checked by the caller, which knows the model).

    ``index_dir`` is resolved once, so everything is read from one version even when a build
    switches the link meanwhile; every file is checked against what the build recorded (small
    files whole, large ones by size and sampled blocks)."""
    named, index_dir = index_dir, index_dir.resolve()
    manifest = read_manifest(index_dir)
    rebuild = f"Rebuild it: newsqa build --index {named}"
    if manifest.get("format") != INDEX_FORMAT:
        raise StaleIndexError(f"The index at {named} has format {manifest.get('format')}, this newsqa reads format {INDEX_FORMAT}. {rebuild}")
    if "checksums" not in manifest:
        raise StaleIndexError(f"The index at {named} records no checksums. {rebuild}")
    for name, expected in manifest["checksums"].items():
        if not _check_file(index_dir / name, expected):
            raise StaleIndexError(f"The index file {name} at {named} is damaged or missing (checksum mismatch). {rebuild}")
    try:
        meta = json.loads((index_dir / "articles.json").read_text(encoding="utf-8"))
        articles = Articles(meta, Texts.load(index_dir / "article_text"), mapped(index_dir / "offsets.npy"))
        sentence_rows = mapped(index_dir / "sentences.npy")
        chunk_rows = mapped(index_dir / "chunks.npy")
        sentence_vectors = VectorSearch.load(index_dir, "sentence")
        chunk_vectors = VectorSearch.load(index_dir, "chunk")
        lexical = LexicalIndex.load(index_dir / "lexical")
        terms = TermIndex(index_dir / "terms")
        facts = mapped(index_dir / "facts.npy")
        chunk_of_sentence = mapped(index_dir / "chunk_of_sentence.npy")
        sentence_chunks = mapped(index_dir / "sentence_chunks.npy")
        issues = [
            (entry["file"], IssueDate.from_json(entry["date"]))
            for entry in json.loads((index_dir / ISSUES).read_text(encoding="utf-8"))
        ]
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise StaleIndexError(
            f"The index at {named} is incomplete or damaged ({exc}). {rebuild}"
        ) from exc
    n = len(sentence_rows)
    counts = {len(sentence_vectors), len(facts), len(chunk_of_sentence), len(sentence_chunks), len(terms), lexical.size}
    if counts != {n} or len(chunk_vectors) != len(chunk_rows) or len(articles) != len(articles.texts):
        raise StaleIndexError(f"The index at {named} is inconsistent (vector and sentence counts differ). {rebuild}")
    return Index(
        named, manifest, articles, sentence_rows, chunk_rows, sentence_vectors, chunk_vectors, lexical, terms,
        chunk_of_sentence, sentence_chunks, facts, issues,
    )
